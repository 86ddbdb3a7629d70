using System.Text.RegularExpressions;
using Overlay.Testing;

namespace Overlay.Docs.Tests;

/// <summary>
/// A package README is read on a package page, where a relative link leads nowhere: its links are
/// absolute, and those into this repository name files that exist. Links between the files of docs/
/// (read in the repository) are relative and resolve.
/// </summary>
public sealed partial class ReadmeLinkTests
{
    /// <summary>Where the repository's files are read online (the packages' <c>RepositoryUrl</c> + blob/main).</summary>
    private const string RepositoryFiles = "https://github.com/overlay-net/overlay/blob/main/";

    [Fact]
    public void PackageReadmesLinkOnlyAbsolutelyAndToFilesThatExist()
    {
        string root = Snippets.RepositoryRoot();
        Assert.Contains("<RepositoryUrl>https://github.com/overlay-net/overlay</RepositoryUrl>",
            File.ReadAllText(Path.Combine(root, "Directory.Build.props")), StringComparison.Ordinal);

        var failures = new List<string>();
        foreach (string readme in Directory.GetDirectories(Path.Combine(root, "src"), "Overlay.*")
            .Select(d => Path.Combine(d, "README.md")).Where(File.Exists))
        {
            string name = Path.GetRelativePath(root, readme);
            foreach ((int line, string target) in Links(readme))
            {
                if (target.StartsWith('#') || target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    continue;
                }

                if (!target.Contains("://", StringComparison.Ordinal))
                {
                    failures.Add($"{name}:{line}: relative link '{target}' (dead on a package page; use {RepositoryFiles}…)");
                }
                else if (target.StartsWith(RepositoryFiles, StringComparison.Ordinal))
                {
                    string file = target[RepositoryFiles.Length..].Split('#')[0];
                    if (!File.Exists(Path.Combine(root, file)) && !Directory.Exists(Path.Combine(root, file)))
                    {
                        failures.Add($"{name}:{line}: '{target}' names {file}, which is not in the repository");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void LinksBetweenDocsResolve()
    {
        string root = Snippets.RepositoryRoot();
        var failures = new List<string>();
        foreach (string doc in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md")))
        {
            foreach ((int line, string target) in Links(doc))
            {
                if (target.StartsWith('#') || target.Contains("://", StringComparison.Ordinal))
                {
                    continue;
                }

                string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(doc)!, target.Split('#')[0]));
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    failures.Add($"{Path.GetRelativePath(root, doc)}:{line}: '{target}' does not exist");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void LinksAreFoundWithTheirLines()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("ovl-docs-").FullName, "x.md");
        try
        {
            File.WriteAllText(file, "a [b](../c.md) d\n\nsee [e](https://x/y#z) and [f](#g)\n");
            Assert.Equal([(1, "../c.md"), (3, "https://x/y#z"), (3, "#g")], Links(file));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    /// <summary>Markdown inline links <c>[text](target)</c> outside fenced code, with their 1-based lines.</summary>
    private static List<(int Line, string Target)> Links(string path)
    {
        var links = new List<(int, string)>();
        bool fenced = false;
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            if (!fenced)
            {
                links.AddRange(InlineLink().Matches(lines[i]).Select(m => (i + 1, m.Groups["target"].Value)));
            }
        }

        return links;
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex InlineLink();
}
