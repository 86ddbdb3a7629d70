using System.Xml.Linq;

namespace Overlay.Architecture.Tests;

public sealed class BoundaryRuleTests
{
    private static string Root => DependencyRuleTests.RepositoryRoot;

    /// <summary>Every project file under src/, samples/ and benchmarks/, and the Directory.Build.props/targets there.</summary>
    public static TheoryData<string> ShippedProjectFiles()
    {
        var data = new TheoryData<string>();
        foreach (string folder in BoundaryRules.ShippedFolders)
        {
            string path = Path.Combine(Root, folder);
            if (!Directory.Exists(path))
            {
                continue;
            }

            foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".csproj", StringComparison.Ordinal) || Path.GetFileName(f) is "Directory.Build.props" or "Directory.Build.targets")
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(Root, file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedProjectFiles))]
    public void Shipped_project_references_nothing_under_tests(string relativePath)
    {
        IReadOnlyList<string> violations = BoundaryRules.ReferencesIntoTests(Root, relativePath, XDocument.Load(Path.Combine(Root, relativePath)));
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_shipped_folders_have_projects_to_check()
    {
        string[] files = [.. ShippedProjectFiles().Select(row => row.Data)];
        Assert.Contains(Path.Combine("samples", "Overlay.Agent", "Overlay.Agent.csproj"), files);
        Assert.Contains(files, f => f.StartsWith("benchmarks", StringComparison.Ordinal));
        Assert.Contains(Path.Combine("src", "Directory.Build.props"), files);
    }

    [Theory]
    [InlineData("samples/Overlay.Agent/Overlay.Agent.csproj", "<ItemGroup><ProjectReference Include=\"..\\..\\tests\\Overlay.Testing\\Overlay.Testing.csproj\" /></ItemGroup>",
        "samples/Overlay.Agent/Overlay.Agent.csproj: ProjectReference ..\\..\\tests\\Overlay.Testing\\Overlay.Testing.csproj is under tests/")]
    [InlineData("benchmarks/Overlay.Backends.Bench/Overlay.Backends.Bench.csproj", "<ItemGroup><Compile Include=\"../../tests/Overlay.Testing/Shell.cs\" Link=\"Shell.cs\" /></ItemGroup>",
        "benchmarks/Overlay.Backends.Bench/Overlay.Backends.Bench.csproj: Compile ../../tests/Overlay.Testing/Shell.cs is under tests/")]
    [InlineData("src/Overlay.Lab/Overlay.Lab.csproj", "<Import Project=\"$(MSBuildThisFileDirectory)..\\..\\tests\\Directory.Build.props\" />",
        "src/Overlay.Lab/Overlay.Lab.csproj: Import $(MSBuildThisFileDirectory)..\\..\\tests\\Directory.Build.props is under tests/")]
    public void A_reference_into_tests_is_reported(string relativePath, string content, string expected)
    {
        var file = XDocument.Parse($"<Project Sdk=\"Microsoft.NET.Sdk\">{content}</Project>");
        Assert.Equal([expected], BoundaryRules.ReferencesIntoTests("/repo", relativePath, file));
    }

    [Theory]
    [InlineData("samples/Overlay.Agent/Overlay.Agent.csproj", "<ItemGroup><ProjectReference Include=\"..\\..\\src\\Overlay.Lab\\Overlay.Lab.csproj\" /><PackageReference Include=\"System.CommandLine\" /></ItemGroup>")]
    [InlineData("src/Directory.Build.props", "<ItemGroup><None Include=\"README.md\" Pack=\"true\" /><InternalsVisibleTo Include=\"$(MSBuildProjectName).Tests\" /></ItemGroup>")]
    [InlineData("benchmarks/Overlay.Benchmarks/Overlay.Benchmarks.csproj", "<ItemGroup><Compile Include=\"../Shared/*.cs\" /></ItemGroup>")]
    public void References_outside_tests_pass(string relativePath, string content)
    {
        var file = XDocument.Parse($"<Project Sdk=\"Microsoft.NET.Sdk\">{content}</Project>");
        Assert.Empty(BoundaryRules.ReferencesIntoTests("/repo", relativePath, file));
    }

    [Theory]
    [MemberData(nameof(DependencyRuleTests.SourceProjects), MemberType = typeof(DependencyRuleTests))]
    public void Source_project_grants_internals_only_to_test_and_benchmark_assemblies(string relativePath)
    {
        string name = Path.GetFileNameWithoutExtension(relativePath);
        string folder = Path.Combine(Root, Path.GetDirectoryName(relativePath)!);
        var grants = new List<string>();
        grants.AddRange(BoundaryRules.GrantsInProjectFile(name, XDocument.Load(Path.Combine(Root, relativePath))));
        grants.AddRange(BoundaryRules.GrantsInProjectFile(name, XDocument.Load(Path.Combine(Root, "src", "Directory.Build.props"))));
        foreach (string source in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            grants.AddRange(BoundaryRules.GrantsInSource(File.ReadAllText(source)));
        }

        IReadOnlyList<string> violations = BoundaryRules.CheckGrants(name, grants, SourceProjectNames());
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_shared_props_grant_each_project_its_tests_the_benchmarks_and_the_integration_tests()
    {
        IReadOnlyList<string> grants = BoundaryRules.GrantsInProjectFile("Overlay.Netlink", XDocument.Load(Path.Combine(Root, "src", "Directory.Build.props")));
        Assert.Equal(["Overlay.Netlink.Tests", "Overlay.Benchmarks", "Overlay.IntegrationTests"], grants);
        Assert.Empty(BoundaryRules.CheckGrants("Overlay.Netlink", grants, SourceProjectNames()));
    }

    [Theory]
    [InlineData("<InternalsVisibleTo Include=\"Overlay.Backends.HostGw\" />", "Overlay.Backends grants InternalsVisibleTo to src project Overlay.Backends.HostGw (make what it needs public instead)")]
    [InlineData("<AssemblyAttribute Include=\"System.Runtime.CompilerServices.InternalsVisibleTo\"><_Parameter1>Overlay.Backends.Udp</_Parameter1></AssemblyAttribute>",
        "Overlay.Backends grants InternalsVisibleTo to src project Overlay.Backends.Udp (make what it needs public instead)")]
    [InlineData("<InternalsVisibleTo Include=\"Contoso.Agent\" />", "Overlay.Backends grants InternalsVisibleTo to Contoso.Agent, which is not a test or benchmark assembly")]
    public void A_grant_in_a_project_file_to_a_src_project_or_a_non_test_assembly_is_reported(string items, string expected)
    {
        var file = XDocument.Parse($"<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>");
        IReadOnlyList<string> grants = BoundaryRules.GrantsInProjectFile("Overlay.Backends", file);
        Assert.Equal([expected], BoundaryRules.CheckGrants("Overlay.Backends", grants, SourceProjectNames()));
    }

    [Theory]
    [InlineData("[assembly: InternalsVisibleTo(\"Overlay.Hosting\")]", "Overlay.Hosting")]
    [InlineData("[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Overlay.Backends.Vxlan, PublicKey=0024\")]", "Overlay.Backends.Vxlan")]
    [InlineData("[assembly:InternalsVisibleToAttribute( \"Overlay.Lab\" )]", "Overlay.Lab")]
    public void A_grant_in_source_to_a_src_project_is_reported(string source, string grantee)
    {
        IReadOnlyList<string> grants = BoundaryRules.GrantsInSource("using System.Runtime.CompilerServices;\n" + source + "\nnamespace X;\n");
        Assert.Equal([grantee], grants);
        Assert.Equal([$"Overlay.Backends grants InternalsVisibleTo to src project {grantee} (make what it needs public instead)"],
            BoundaryRules.CheckGrants("Overlay.Backends", grants, SourceProjectNames()));
    }

    [Theory]
    [InlineData("<InternalsVisibleTo Include=\"$(MSBuildProjectName).Tests\" />")]
    [InlineData("<InternalsVisibleTo Include=\"Overlay.Backends.Tests\" /><InternalsVisibleTo Include=\"Overlay.IntegrationTests\" /><InternalsVisibleTo Include=\"Overlay.Benchmarks\" />")]
    [InlineData("<InternalsVisibleTo Include=\"Overlay.Netlink.Bench\" />")]
    public void Grants_to_test_and_benchmark_assemblies_pass(string items)
    {
        var file = XDocument.Parse($"<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>");
        Assert.Empty(BoundaryRules.CheckGrants("Overlay.Backends", BoundaryRules.GrantsInProjectFile("Overlay.Backends", file), SourceProjectNames()));
    }

    private static HashSet<string> SourceProjectNames() =>
        [.. DependencyRuleTests.SourceProjects().Select(row => Path.GetFileNameWithoutExtension(row.Data))];
}
