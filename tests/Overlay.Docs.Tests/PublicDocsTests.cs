using System.Text.RegularExpressions;
using Overlay.Testing;

namespace Overlay.Docs.Tests;

/// <summary>
/// What ships in a package (its README, the XML docs of its public types) speaks of the API: it cites
/// no project-internal spec section, quirk number or issue a consumer cannot read.
/// </summary>
public sealed partial class PublicDocsTests
{
    [Fact]
    public void PackageReadmesAndPublicXmlDocsCiteNoInternalReferences()
    {
        string root = Snippets.RepositoryRoot();
        var failures = new List<string>();
        foreach (string project in Directory.GetDirectories(Path.Combine(root, "src"), "Overlay.*"))
        {
            string readme = Path.Combine(project, "README.md");
            if (File.Exists(readme))
            {
                failures.AddRange(Find(root, readme, _ => true));
            }

            foreach (string source in Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutputOrInternal(project, f)))
            {
                failures.AddRange(Find(root, source, line => line.TrimStart().StartsWith("///", StringComparison.Ordinal)));
            }
        }

        Assert.True(failures.Count == 0, "internal references in shipped docs:\n" + string.Join('\n', failures));
    }

    [Theory]
    [InlineData("/// flannel's ipip backend (spec backends §4): per peer", true)]
    [InlineData("/// a renewal revokes the old lease (Q4); a key", true)]
    [InlineData("/// nftables rules, with a later issue) installs", true)]
    [InlineData("/// the IPv6 pseudo-header (RFC 8200 §8.1).", false)]
    [InlineData("/// a <see cref=\"VxlanLinkSpec\"/> for the device", false)]
    public void TheCheckRecognisesInternalReferences(string line, bool flagged) =>
        Assert.Equal(flagged, InternalReference().IsMatch(line));

    private static bool IsBuildOutputOrInternal(string project, string file)
    {
        string relative = Path.GetRelativePath(project, file).Replace('\\', '/');
        return relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
            || relative.StartsWith("Internal/", StringComparison.Ordinal) || relative.Contains("/Internal/", StringComparison.Ordinal);
    }

    private static IEnumerable<string> Find(string root, string file, Func<string, bool> inScope)
    {
        string[] lines = File.ReadAllLines(file);
        for (int i = 0; i < lines.Length; i++)
        {
            if (inScope(lines[i]) && InternalReference().IsMatch(lines[i]))
            {
                yield return $"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}";
            }
        }
    }

    /// <summary>A section sign not after an RFC number ("spec §4"), a quirk number (Q4), "later issue".</summary>
    [GeneratedRegex(@"(?<!RFC \d+ )§|\bQ\d{1,2}\b|\blater issue\b|\bissue #\d")]
    private static partial Regex InternalReference();
}
