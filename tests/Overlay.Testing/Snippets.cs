using System.Text.RegularExpressions;

namespace Overlay.Testing;

/// <summary>
/// Keeps documentation code true: a fenced <c>```csharp</c> block marked <c>&lt;!-- snippet: NAME --&gt;</c>
/// in a Markdown file must equal the region <c>// snippet: NAME</c> … <c>// end snippet</c> of a test
/// source file, which the test project compiles and the test runs. Indentation is normalised.
/// </summary>
public static partial class Snippets
{
    /// <summary>The repository root: the directory holding Overlay.sln above the test's build output.
    /// (Not the compiler's file paths: a CI build maps them to <c>/_/</c>.)</summary>
    public static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Overlay.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException($"no Overlay.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The code of the block marked <paramref name="name"/> in <paramref name="markdownPath"/>.</summary>
    public static string FromMarkdown(string markdownPath, string name)
    {
        string text = File.ReadAllText(markdownPath);
        int marker = text.IndexOf($"<!-- snippet: {name} -->", StringComparison.Ordinal);
        if (marker < 0)
        {
            throw new InvalidOperationException($"{markdownPath} has no '<!-- snippet: {name} -->' marker");
        }

        Match block = FencedBlock().Match(text, marker);
        if (!block.Success)
        {
            throw new InvalidOperationException($"{markdownPath}: no ```csharp block after the '{name}' marker");
        }

        return Normalise(block.Groups["code"].Value);
    }

    /// <summary>The region marked <paramref name="name"/> in a source file.</summary>
    public static string FromSource(string sourcePath, string name)
    {
        string[] lines = File.ReadAllLines(sourcePath);
        int start = Array.FindIndex(lines, l => l.Trim() == $"// snippet: {name}");
        int end = start < 0 ? -1 : Array.FindIndex(lines, start + 1, l => l.Trim() == "// end snippet");
        if (start < 0 || end < 0)
        {
            throw new InvalidOperationException($"{sourcePath} has no '// snippet: {name}' … '// end snippet' region");
        }

        return Normalise(string.Join('\n', lines[(start + 1)..end]));
    }

    /// <summary>Removes the common indentation and surrounding blank lines; line endings become \n.</summary>
    public static string Normalise(string code)
    {
        string[] lines = code.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int first = Array.FindIndex(lines, l => l.Trim().Length > 0);
        int last = Array.FindLastIndex(lines, l => l.Trim().Length > 0);
        if (first < 0)
        {
            return string.Empty;
        }

        string[] kept = lines[first..(last + 1)];
        int indent = kept.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', kept.Select(l => l.Trim().Length == 0 ? string.Empty : l[indent..].TrimEnd()));
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}
