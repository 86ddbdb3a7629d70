using System.Text.RegularExpressions;

namespace Overlay.Docs.Tests;

/// <summary>How a C# block of the documentation is compiled (declared by a
/// <c>&lt;!-- compile: … --&gt;</c> comment just above the block, or excluded by its first line).</summary>
public enum CodeBlockKind
{
    /// <summary><c>&lt;!-- compile: program --&gt;</c>: a whole <c>Program.cs</c> as pasted into a new console
    /// app (top-level statements, its own <c>using</c>s, only the SDK's implicit usings besides).</summary>
    Program,

    /// <summary><c>&lt;!-- compile: members --&gt;</c>: methods or fields, compiled inside a static class.</summary>
    Members,

    /// <summary><c>&lt;!-- compile: statements(T a, U b) --&gt;</c>: statements, compiled as the body of an
    /// async method with those parameters (the names the fragment uses but does not declare).</summary>
    Statements,

    /// <summary>A block whose first line is <c>// Not compiled: reason</c> (visible where the README is read).</summary>
    Excluded,
}

/// <summary>One fenced <c>```csharp</c> block of a Markdown file.</summary>
/// <param name="File">The Markdown file, relative to the repository root ('/' separators).</param>
/// <param name="Line">The 1-based line of the block's first code line.</param>
/// <param name="Code">The code, lines joined with '\n'.</param>
/// <param name="Kind">How it is compiled; null when the block declares nothing (a failure).</param>
/// <param name="Parameters">For <see cref="CodeBlockKind.Statements"/>, the parameter list (may be empty).</param>
/// <param name="Reason">For <see cref="CodeBlockKind.Excluded"/>, why.</param>
public sealed partial record MarkdownCodeBlock(string File, int Line, string Code, CodeBlockKind? Kind, string Parameters, string Reason)
{
    /// <summary>Where the block is, for messages: <c>docs/x.md:12</c>.</summary>
    public string Location => $"{File}:{Line}";

    /// <summary>Every ```csharp block of <paramref name="path"/>.</summary>
    public static IReadOnlyList<MarkdownCodeBlock> Read(string root, string path)
    {
        string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
        string[] lines = System.IO.File.ReadAllLines(path);
        var blocks = new List<MarkdownCodeBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```csharp")
            {
                continue;
            }

            int end = Array.FindIndex(lines, i + 1, l => l.TrimEnd() == "```");
            if (end < 0)
            {
                throw new InvalidOperationException($"{relative}:{i + 1}: the ```csharp block is never closed");
            }

            string code = string.Join('\n', lines[(i + 1)..end]);
            blocks.Add(Classify(relative, i + 2, code, DeclarationAbove(lines, i)));
            i = end;
        }

        return blocks;
    }

    private static MarkdownCodeBlock Classify(string file, int line, string code, string? declaration)
    {
        string first = code.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? string.Empty;
        Match excluded = NotCompiled().Match(first);
        if (excluded.Success)
        {
            return new(file, line, code, CodeBlockKind.Excluded, string.Empty, excluded.Groups["reason"].Value.Trim());
        }

        if (declaration is null)
        {
            return new(file, line, code, null, string.Empty, string.Empty);
        }

        Match statements = StatementsDeclaration().Match(declaration);
        if (statements.Success)
        {
            return new(file, line, code, CodeBlockKind.Statements, statements.Groups["parameters"].Value.Trim(), string.Empty);
        }

        CodeBlockKind? kind = declaration switch
        {
            "program" => CodeBlockKind.Program,
            "members" => CodeBlockKind.Members,
            _ => null,
        };
        return new(file, line, code, kind, string.Empty, kind is null ? $"unknown declaration '{declaration}'" : string.Empty);
    }

    /// <summary>The <c>compile:</c> declaration among the HTML comments (and blank lines) just above the fence.</summary>
    private static string? DeclarationAbove(string[] lines, int fence)
    {
        for (int j = fence - 1; j >= 0; j--)
        {
            string l = lines[j].Trim();
            if (l.Length == 0)
            {
                continue;
            }

            Match comment = HtmlComment().Match(l);
            if (!comment.Success)
            {
                return null;
            }

            string body = comment.Groups["body"].Value.Trim();
            if (body.StartsWith("compile:", StringComparison.Ordinal))
            {
                return body["compile:".Length..].Trim();
            }
        }

        return null;
    }

    [GeneratedRegex(@"^//\s*Not compiled:\s*(?<reason>.*)$")]
    private static partial Regex NotCompiled();

    [GeneratedRegex(@"^statements(\((?<parameters>[^)]*)\))?$")]
    private static partial Regex StatementsDeclaration();

    [GeneratedRegex(@"^<!--(?<body>.*)-->$")]
    private static partial Regex HtmlComment();
}
