using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Overlay.Architecture.Tests;

/// <summary>
/// The allowed references of every package (STYLE.md §2.2, the single authority). Anything not
/// listed is forbidden. Analyzer packages referenced with PrivateAssets="all" are build tools, not
/// dependencies, and are always allowed.
/// </summary>
public static partial class DependencyRules
{
    private const string Logging = "Microsoft.Extensions.Logging.Abstractions";
    private const string DependencyInjection = "Microsoft.Extensions.DependencyInjection.Abstractions";
    private const string Options = "Microsoft.Extensions.Options";

    private static readonly string[] CloudBackends = ["Overlay.Backends.AwsVpc", "Overlay.Backends.Gce", "Overlay.Backends.AliVpc", "Overlay.Backends.TencentVpc"];

    /// <summary>The projects and packages <paramref name="project"/> may reference, or null when the
    /// project is not covered by the table (which is itself a failure).</summary>
    public static (string[] Projects, string[] Packages)? Allowed(string project)
    {
        switch (project)
        {
            case "Overlay.Netlink":
            case "Overlay.Subnets":
                return ([], [Logging]);
            case "Overlay.Encap":
            case "Overlay.Vici":
                return ([], [Logging, "System.IO.Pipelines"]);
            case "Overlay.Subnets.Etcd":
                return (["Overlay.Subnets"], [Logging, DependencyInjection, Options, "dotnet-etcd"]);
            case "Overlay.Subnets.Kubernetes":
                return (["Overlay.Subnets"], [Logging, DependencyInjection, Options, "KubernetesClient.Aot"]);
            case "Overlay.Backends":
                return (["Overlay.Netlink", "Overlay.Subnets"], [Logging, DependencyInjection]);
            case "Overlay.Hosting":
                return (["Overlay.Backends", "Overlay.Subnets", "Overlay.Netlink"],
                    [Logging, DependencyInjection, "Microsoft.Extensions.Hosting.Abstractions", Options]);
            case "Overlay.Lab":
                // Hosting and everything below it; never a concrete backend package (the lab knows no backend).
                return (["Overlay.Hosting", "Overlay.Backends", "Overlay.Subnets", "Overlay.Netlink", "Overlay.Encap"],
                    [Logging, DependencyInjection, "Microsoft.Extensions.Hosting.Abstractions", Options]);
        }

        Match backend = BackendName().Match(project);
        if (!backend.Success)
        {
            return null;
        }

        var projects = new List<string> { "Overlay.Backends", "Overlay.Netlink", "Overlay.Subnets" };
        var packages = new List<string> { Logging, DependencyInjection };
        switch (backend.Groups[1].Value)
        {
            case "Udp":
            case "IPIP":
                projects.Add("Overlay.Encap");
                break;
            case "IPsec":
                // The VICI client is its own package (reusable without a backend); the backend adds Pipelines for nothing else.
                projects.Add("Overlay.Vici");
                packages.Add("System.IO.Pipelines");
                break;
            case "AwsVpc":
                packages.Add("AWSSDK.EC2");
                break;
            case "Gce":
                packages.Add("Google.Apis.Auth");
                packages.Add("Google.Apis");
                break;
        }

        return ([.. projects], [.. packages]);
    }

    /// <summary>Every violation of the table in one project file.</summary>
    public static IReadOnlyList<string> Check(string projectName, XDocument projectFile)
    {
        var violations = new List<string>();
        (string[] Projects, string[] Packages)? allowed = Allowed(projectName);
        if (allowed is null)
        {
            violations.Add($"{projectName}: not in the dependency table of STYLE.md §2.2; add it there and to DependencyRules first");
            return violations;
        }

        foreach (XElement reference in projectFile.Descendants("ProjectReference"))
        {
            string include = (string?)reference.Attribute("Include") ?? string.Empty;
            string target = Path.GetFileNameWithoutExtension(include.Replace('\\', '/'));
            if (!allowed.Value.Projects.Contains(target))
            {
                violations.Add($"{projectName} may not reference project {target}");
            }
        }

        foreach (XElement reference in projectFile.Descendants("PackageReference"))
        {
            string package = (string?)reference.Attribute("Include") ?? (string?)reference.Attribute("Update") ?? string.Empty;
            string? privateAssets = (string?)reference.Attribute("PrivateAssets") ?? reference.Element("PrivateAssets")?.Value;
            bool buildOnly = string.Equals(privateAssets, "all", StringComparison.OrdinalIgnoreCase);
            if (!buildOnly && !allowed.Value.Packages.Contains(package))
            {
                string hint = CloudBackends.Any(package.StartsWith) || package.StartsWith("AWSSDK", StringComparison.Ordinal) || package.StartsWith("Google.Apis", StringComparison.Ordinal)
                    ? " (a cloud SDK belongs only to its own backend package)"
                    : string.Empty;
                violations.Add($"{projectName} may not reference package {package}{hint}");
            }
        }

        return violations;
    }

    [GeneratedRegex(@"^Overlay\.Backends\.(Vxlan|HostGw|IPIP|Udp|IPsec|Alloc|AwsVpc|Gce|AliVpc|TencentVpc)$")]
    private static partial Regex BackendName();
}
