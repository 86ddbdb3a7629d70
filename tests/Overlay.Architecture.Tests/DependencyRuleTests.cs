using System.Xml.Linq;

namespace Overlay.Architecture.Tests;

public sealed class DependencyRuleTests
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static TheoryData<string> SourceProjects()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepositoryRoot, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Source_project_references_only_what_the_table_allows(string relativePath)
    {
        string name = Path.GetFileNameWithoutExtension(relativePath);
        IReadOnlyList<string> violations = DependencyRules.Check(name, XDocument.Load(Path.Combine(RepositoryRoot, relativePath)));
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Source_project_is_one_folder_one_name_with_a_readme_and_in_the_solution(string relativePath)
    {
        string name = Path.GetFileNameWithoutExtension(relativePath);
        string folder = Path.GetDirectoryName(relativePath)!;
        Assert.Equal(Path.Combine("src", name), folder);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot, folder, "README.md")), $"{name} has no README.md (it is the package's NuGet readme)");
        string solution = File.ReadAllText(Path.Combine(RepositoryRoot, "Overlay.sln"));
        Assert.Contains(relativePath.Replace('/', '\\'), solution);
    }

    [Fact]
    public void At_least_the_first_package_exists()
    {
        Assert.Contains(SourceProjects(), row => row.Data.EndsWith("Overlay.Subnets.csproj", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Overlay.Netlink", "<ProjectReference Include=\"..\\Overlay.Subnets\\Overlay.Subnets.csproj\" />", "Overlay.Netlink may not reference project Overlay.Subnets")]
    [InlineData("Overlay.Encap", "<ProjectReference Include=\"../Overlay.Netlink/Overlay.Netlink.csproj\" />", "Overlay.Encap may not reference project Overlay.Netlink")]
    [InlineData("Overlay.Subnets", "<PackageReference Include=\"Newtonsoft.Json\" />", "Overlay.Subnets may not reference package Newtonsoft.Json")]
    [InlineData("Overlay.Backends", "<PackageReference Include=\"AWSSDK.EC2\" />", "Overlay.Backends may not reference package AWSSDK.EC2 (a cloud SDK belongs only to its own backend package)")]
    [InlineData("Overlay.Backends.Vxlan", "<PackageReference Include=\"Google.Apis.Auth\" />", "Overlay.Backends.Vxlan may not reference package Google.Apis.Auth (a cloud SDK belongs only to its own backend package)")]
    [InlineData("Overlay.Backends.Vxlan", "<ProjectReference Include=\"..\\Overlay.Encap\\Overlay.Encap.csproj\" />", "Overlay.Backends.Vxlan may not reference project Overlay.Encap")]
    [InlineData("Overlay.Backends.Udp", "<ProjectReference Include=\"..\\Overlay.Hosting\\Overlay.Hosting.csproj\" />", "Overlay.Backends.Udp may not reference project Overlay.Hosting")]
    [InlineData("Overlay.Subnets", "<ProjectReference Include=\"..\\Overlay.Backends\\Overlay.Backends.csproj\" />", "Overlay.Subnets may not reference project Overlay.Backends")]
    [InlineData("Overlay.Hosting", "<PackageReference Include=\"Microsoft.Extensions.Hosting\" />", "Overlay.Hosting may not reference package Microsoft.Extensions.Hosting")]
    [InlineData("Overlay.Lab", "<ProjectReference Include=\"..\\Overlay.Backends.Vxlan\\Overlay.Backends.Vxlan.csproj\" />", "Overlay.Lab may not reference project Overlay.Backends.Vxlan")]
    [InlineData("Overlay.Lab", "<PackageReference Include=\"Microsoft.Extensions.Hosting\" />", "Overlay.Lab may not reference package Microsoft.Extensions.Hosting")]
    [InlineData("Overlay.Something", "", "Overlay.Something: not in the dependency table of STYLE.md §2.2; add it there and to DependencyRules first")]
    public void Forbidden_references_are_reported(string project, string items, string expected)
    {
        var file = XDocument.Parse($"<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>");
        Assert.Equal([expected], DependencyRules.Check(project, file));
    }

    [Theory]
    [InlineData("Overlay.Backends.Udp", "<ProjectReference Include=\"..\\Overlay.Encap\\Overlay.Encap.csproj\" />")]
    [InlineData("Overlay.Backends.IPIP", "<ProjectReference Include=\"..\\Overlay.Encap\\Overlay.Encap.csproj\" />")]
    [InlineData("Overlay.Backends.AwsVpc", "<PackageReference Include=\"AWSSDK.EC2\" />")]
    [InlineData("Overlay.Backends.Gce", "<PackageReference Include=\"Google.Apis.Auth\" />")]
    [InlineData("Overlay.Subnets.Etcd", "<ProjectReference Include=\"..\\Overlay.Subnets\\Overlay.Subnets.csproj\" /><PackageReference Include=\"dotnet-etcd\" />")]
    [InlineData("Overlay.Subnets.Etcd", "<PackageReference Include=\"Microsoft.Extensions.DependencyInjection.Abstractions\" /><PackageReference Include=\"Microsoft.Extensions.Options\" />")]
    [InlineData("Overlay.Hosting", "<PackageReference Include=\"Microsoft.Extensions.Hosting.Abstractions\" /><ProjectReference Include=\"..\\Overlay.Backends\\Overlay.Backends.csproj\" />")]
    [InlineData("Overlay.Lab", "<ProjectReference Include=\"..\\Overlay.Hosting\\Overlay.Hosting.csproj\" /><ProjectReference Include=\"..\\Overlay.Netlink\\Overlay.Netlink.csproj\" /><ProjectReference Include=\"..\\Overlay.Encap\\Overlay.Encap.csproj\" />")]
    [InlineData("Overlay.Netlink", "<PackageReference Include=\"Microsoft.CodeAnalysis.PublicApiAnalyzers\" PrivateAssets=\"all\" />")]
    public void Allowed_references_pass(string project, string items)
    {
        var file = XDocument.Parse($"<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>{items}</ItemGroup></Project>");
        Assert.Empty(DependencyRules.Check(project, file));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Overlay.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Overlay.sln not found above " + AppContext.BaseDirectory);
    }
}
