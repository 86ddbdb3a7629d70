using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Overlay.Architecture.Tests;

/// <summary>
/// Two boundaries beside the dependency table (STYLE.md §2.2): shipped code (src/, samples/,
/// benchmarks/) never depends on anything under tests/, and no src project opens its internals to
/// another src project — only to test and benchmark assemblies ("what a first-party backend needs,
/// a third-party backend can use too").
/// </summary>
public static partial class BoundaryRules
{
    /// <summary>Folders whose projects ship or are run by users, and so must not reach into tests/.</summary>
    public static readonly string[] ShippedFolders = ["src", "samples", "benchmarks"];

    /// <summary>Every path a project file (or Directory.Build.props) at <paramref name="relativePath"/>
    /// names that resolves under tests/: items of any kind (ProjectReference, Compile, None, …) and imports.</summary>
    public static IReadOnlyList<string> ReferencesIntoTests(string repositoryRoot, string relativePath, XDocument projectFile)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(Path.Combine(repositoryRoot, relativePath)))!;
        string tests = Path.Combine(Path.GetFullPath(repositoryRoot), "tests") + Path.DirectorySeparatorChar;
        var violations = new List<string>();
        foreach (XElement element in projectFile.Descendants())
        {
            string? path = element.Name.LocalName == "Import" ? (string?)element.Attribute("Project") : (string?)element.Attribute("Include");
            if (string.IsNullOrWhiteSpace(path))
            {
                continue;
            }

            foreach (string part in path.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string expanded = part
                    .Replace("$(MSBuildThisFileDirectory)", directory + "/", StringComparison.OrdinalIgnoreCase)
                    .Replace("$(MSBuildProjectDirectory)", directory, StringComparison.OrdinalIgnoreCase)
                    .Replace('\\', '/');
                if (expanded.Contains("$(", StringComparison.Ordinal))
                {
                    continue; // a property not resolvable here (e.g. $(MSBuildProjectName).Tests): no file path
                }

                string full = Path.GetFullPath(Path.IsPathRooted(expanded) ? expanded : Path.Combine(directory, expanded));
                if (full.StartsWith(tests, StringComparison.Ordinal))
                {
                    violations.Add($"{relativePath}: {element.Name.LocalName} {part} is under tests/");
                }
            }
        }

        return violations;
    }

    /// <summary>The assemblies a src project's file grants InternalsVisibleTo: <c>InternalsVisibleTo</c>
    /// items and <c>AssemblyAttribute</c> items of that attribute, with <c>$(MSBuildProjectName)</c>
    /// replaced by <paramref name="projectName"/> (for src/Directory.Build.props, which every src
    /// project imports).</summary>
    public static IReadOnlyList<string> GrantsInProjectFile(string projectName, XDocument projectFile)
    {
        var grants = new List<string>();
        foreach (XElement element in projectFile.Descendants())
        {
            string? name = element.Name.LocalName switch
            {
                "InternalsVisibleTo" => (string?)element.Attribute("Include"),
                "AssemblyAttribute" when ((string?)element.Attribute("Include"))?.EndsWith("InternalsVisibleTo", StringComparison.Ordinal) == true
                    || ((string?)element.Attribute("Include"))?.EndsWith("InternalsVisibleToAttribute", StringComparison.Ordinal) == true
                    => element.Element("_Parameter1")?.Value ?? (string?)element.Attribute("_Parameter1"),
                _ => null,
            };
            if (!string.IsNullOrWhiteSpace(name))
            {
                grants.Add(AssemblyName(name.Replace("$(MSBuildProjectName)", projectName, StringComparison.Ordinal)
                    .Replace("$(AssemblyName)", projectName, StringComparison.Ordinal)));
            }
        }

        return grants;
    }

    /// <summary>The assemblies C# source grants with <c>[assembly: InternalsVisibleTo("…")]</c>.</summary>
    public static IReadOnlyList<string> GrantsInSource(string source) =>
        [.. SourceGrant().Matches(source).Select(m => AssemblyName(m.Groups[1].Value))];

    /// <summary>Violations: a grant to another src project, or to anything that is not a test or
    /// benchmark assembly (<c>*.Tests</c>, <c>*.IntegrationTests</c>, <c>Overlay.Benchmarks</c>, <c>*.Bench</c>).</summary>
    public static IReadOnlyList<string> CheckGrants(string projectName, IEnumerable<string> grants, IReadOnlySet<string> sourceProjects)
    {
        var violations = new List<string>();
        foreach (string grant in grants.Distinct(StringComparer.Ordinal))
        {
            if (sourceProjects.Contains(grant))
            {
                violations.Add($"{projectName} grants InternalsVisibleTo to src project {grant} (make what it needs public instead)");
            }
            else if (!TestOrBenchmarkAssembly().IsMatch(grant))
            {
                violations.Add($"{projectName} grants InternalsVisibleTo to {grant}, which is not a test or benchmark assembly");
            }
        }

        return violations;
    }

    private static string AssemblyName(string value) => value.Split(',')[0].Trim();

    [GeneratedRegex(@"\[\s*assembly\s*:\s*(?:global::)?(?:System\.Runtime\.CompilerServices\.)?InternalsVisibleTo(?:Attribute)?\s*\(\s*""([^""]+)""")]
    private static partial Regex SourceGrant();

    [GeneratedRegex(@"^[A-Za-z0-9_.]+\.(Tests|IntegrationTests|Bench)$|^Overlay\.Benchmarks$")]
    private static partial Regex TestOrBenchmarkAssembly();
}
