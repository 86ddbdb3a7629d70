using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Overlay.Testing;

namespace Overlay.Docs.Tests;

/// <summary>
/// Every <c>```csharp</c> block of <c>src/*/README.md</c> and <c>docs/*.md</c> compiles against the packages
/// as built, with nullable on and warnings as errors. Each block declares how (see
/// <see cref="CodeBlockKind"/> and docs/embedding.md, "Code in these documents"); a block that declares
/// nothing fails, and an excluded one says why in its first line.
/// </summary>
public sealed class CodeBlockTests
{
    /// <summary>Namespaces a console project imports without asking (the SDK's implicit usings).</summary>
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    /// <summary>Namespaces a fragment (members, statements) sees besides the implicit ones: the BCL and
    /// Microsoft.Extensions namespaces below, and every public namespace of every Overlay package.</summary>
    private static readonly string[] FragmentUsings =
        ["System.Net", "System.Net.Sockets", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging"];

    /// <summary>Compiler warnings a fragment may leave (an illustration declares what it does not use).</summary>
    private static readonly string[] AllowedWarnings = ["CS0168", "CS0219", "CS1998", "CS8321", "CS4014"];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    [Fact]
    public void EveryCSharpBlockOfTheReadmesAndDocsCompiles()
    {
        string root = Snippets.RepositoryRoot();
        List<MarkdownCodeBlock> blocks = DocumentationFiles(root).SelectMany(f => MarkdownCodeBlock.Read(root, f)).ToList();
        Assert.NotEmpty(blocks);

        var failures = new List<string>();
        foreach (MarkdownCodeBlock undeclared in blocks.Where(b => b.Kind is null))
        {
            failures.Add($"{undeclared.Location}: {(undeclared.Reason.Length > 0 ? undeclared.Reason : "the block declares no wrapper")}; "
                + "put <!-- compile: program|members|statements(T name, …) --> above it, or begin it with '// Not compiled: reason'");
        }

        foreach (MarkdownCodeBlock excluded in blocks.Where(b => b.Kind == CodeBlockKind.Excluded && b.Reason.Length == 0))
        {
            failures.Add($"{excluded.Location}: '// Not compiled:' without a reason");
        }

        // Fragments: one compilation (a class per block); programs: one compilation each (one entry point).
        List<MarkdownCodeBlock> fragments = blocks.Where(b => b.Kind is CodeBlockKind.Members or CodeBlockKind.Statements).ToList();
        if (fragments.Count > 0)
        {
            failures.AddRange(Compile("Fragments", OutputKind.DynamicallyLinkedLibrary,
                [FragmentPrelude(), .. fragments.Select((b, i) => Wrap(b, i))]));
        }

        foreach (MarkdownCodeBlock program in blocks.Where(b => b.Kind == CodeBlockKind.Program))
        {
            failures.AddRange(Compile("Program", OutputKind.ConsoleApplication,
                [GlobalUsings(ImplicitUsings), Parse(LineDirective(program) + program.Code, program.File)]));
        }

        int compiled = blocks.Count(b => b.Kind is CodeBlockKind.Program or CodeBlockKind.Members or CodeBlockKind.Statements);
        var report = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"csharp blocks: {compiled} compiled (")
            .Append(CultureInfo.InvariantCulture, $"{blocks.Count(b => b.Kind == CodeBlockKind.Program)} program, ")
            .Append(CultureInfo.InvariantCulture, $"{blocks.Count(b => b.Kind == CodeBlockKind.Members)} members, ")
            .Append(CultureInfo.InvariantCulture, $"{blocks.Count(b => b.Kind == CodeBlockKind.Statements)} statements), ")
            .Append(CultureInfo.InvariantCulture, $"{blocks.Count(b => b.Kind == CodeBlockKind.Excluded)} excluded")
            .AppendLine();
        foreach (MarkdownCodeBlock excluded in blocks.Where(b => b.Kind == CodeBlockKind.Excluded))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  excluded {excluded.Location}: {excluded.Reason}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Console.WriteLine(report.ToString());
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void EveryPackageIsReferencedSoItsReadmeCanBeCompiled()
    {
        string root = Snippets.RepositoryRoot();
        string[] missing = Directory.GetDirectories(Path.Combine(root, "src"), "Overlay.*")
            .Select(Path.GetFileName)
            .Where(name => !File.Exists(Path.Combine(AppContext.BaseDirectory, name + ".dll")))
            .Select(name => name!)
            .ToArray();
        Assert.True(missing.Length == 0,
            $"tests/Overlay.Docs.Tests does not reference {string.Join(", ", missing)}: add a ProjectReference so the package's README blocks compile");
    }

    [Fact]
    public void AFragmentThatDoesNotCompileIsReported()
    {
        // The test above must be able to fail: a statement using an undeclared name is an error, located in the Markdown file.
        var block = new MarkdownCodeBlock("docs/example.md", 7, "int x = undeclared + 1;", CodeBlockKind.Statements, string.Empty, string.Empty);
        string[] failures = Compile("Fragments", OutputKind.DynamicallyLinkedLibrary, [FragmentPrelude(), Wrap(block, 0)]).ToArray();
        Assert.Contains(failures, f => f.Contains("docs/example.md(7", StringComparison.Ordinal) && f.Contains("CS0103", StringComparison.Ordinal));
    }

    [Fact]
    public void AWarningInAProgramIsAFailure()
    {
        var block = new MarkdownCodeBlock("docs/example.md", 3, "string? s = null;\nConsole.WriteLine(s.Length);", CodeBlockKind.Program, string.Empty, string.Empty);
        string[] failures = Compile("Program", OutputKind.ConsoleApplication,
            [GlobalUsings(ImplicitUsings), Parse(LineDirective(block) + block.Code, block.File)]).ToArray();
        Assert.Contains(failures, f => f.Contains("CS8602", StringComparison.Ordinal));
    }

    [Fact]
    public void DeclarationsAreReadFromTheCommentAboveTheBlock()
    {
        string dir = Directory.CreateTempSubdirectory("ovl-docs-").FullName;
        try
        {
            string file = Path.Combine(dir, "x.md");
            File.WriteAllText(file, string.Join('\n',
                "<!-- compile: statements(IServiceCollection services, CancellationToken ct) -->",
                "```csharp", "services.AddOverlayBackends();", "```",
                "text", "```csharp", "// Not compiled: shows a shell session", "```",
                "<!-- snippet: x -->", "<!-- compile: members -->", "", "```csharp", "static int F() => 1;", "```",
                "```csharp", "int y = 1;", "```"));
            IReadOnlyList<MarkdownCodeBlock> blocks = MarkdownCodeBlock.Read(dir, file);
            Assert.Equal([CodeBlockKind.Statements, CodeBlockKind.Excluded, CodeBlockKind.Members, null], blocks.Select(b => b.Kind));
            Assert.Equal("IServiceCollection services, CancellationToken ct", blocks[0].Parameters);
            Assert.Equal("shows a shell session", blocks[1].Reason);
            Assert.Equal(3, blocks[0].Line);
            Assert.Equal("x.md", blocks[0].File);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static SyntaxTree Parse(string text, string path) =>
        CSharpSyntaxTree.ParseText(text, ParseOptions, path, cancellationToken: TestContext.Current.CancellationToken);

    private static CSharpParseOptions ParseOptions => CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);

    private static IEnumerable<string> DocumentationFiles(string root) =>
        Directory.GetDirectories(Path.Combine(root, "src"), "Overlay.*")
            .Select(d => Path.Combine(d, "README.md"))
            .Where(File.Exists)
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"))
            .Order(StringComparer.Ordinal);

    private static string LineDirective(MarkdownCodeBlock block) => $"#line {block.Line} \"{block.File}\"\n";

    private static SyntaxTree Wrap(MarkdownCodeBlock block, int index)
    {
        string body = block.Kind == CodeBlockKind.Members
            ? LineDirective(block) + block.Code + "\n#line default\n"
            : $"static async Task Run({block.Parameters})\n{{\n{LineDirective(block)}{block.Code}\n#line default\n    await Task.CompletedTask;\n}}\n";
        string text = $"namespace Overlay.Docs.Blocks;\n\ninternal static partial class Block{index}\n{{\n{body}}}\n";
        return Parse(text, block.File);
    }

    private static SyntaxTree FragmentPrelude()
    {
        IEnumerable<string> overlay = References.Value.OfType<PortableExecutableReference>()
            .Select(r => r.FilePath!)
            .Where(p => Path.GetFileName(p).StartsWith("Overlay.", StringComparison.Ordinal)
                && Path.GetDirectoryName(p) == Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)
                && !Path.GetFileName(p).StartsWith("Overlay.Docs.", StringComparison.Ordinal)
                && Path.GetFileName(p) != "Overlay.Testing.dll")
            .SelectMany(PublicNamespaces);
        return GlobalUsings(ImplicitUsings.Concat(FragmentUsings).Concat(overlay).Distinct());
    }

    private static IEnumerable<string> PublicNamespaces(string assemblyPath) =>
        Assembly.LoadFrom(assemblyPath).GetExportedTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(n => n.StartsWith("Overlay.", StringComparison.Ordinal));

    private static SyntaxTree GlobalUsings(IEnumerable<string> namespaces) =>
        Parse(string.Concat(namespaces.Select(n => $"global using {n};\n")), "GlobalUsings.g.cs");

    private static IEnumerable<string> Compile(string name, OutputKind kind, SyntaxTree[] trees)
    {
        var options = new CSharpCompilationOptions(kind)
            .WithNullableContextOptions(NullableContextOptions.Enable)
            .WithAllowUnsafe(false)
            .WithSpecificDiagnosticOptions(AllowedWarnings.ToDictionary(id => id, _ => ReportDiagnostic.Suppress));
        CSharpCompilation compilation = CSharpCompilation.Create(name, trees, References.Value, options);
        return compilation.GetDiagnostics(TestContext.Current.CancellationToken)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => d.ToString());
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string tpa = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")
            ?? throw new InvalidOperationException("no TRUSTED_PLATFORM_ASSEMBLIES");
        return [.. tpa.Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }
}
