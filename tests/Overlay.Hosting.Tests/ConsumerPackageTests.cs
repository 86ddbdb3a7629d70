using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>
/// The packages as a .NET team gets them: every src project packed with a unique prerelease version into a
/// private folder feed, a fresh console app outside the repository (none of its build props), the packages
/// added with <c>dotnet add package</c> and restored into a private <c>NUGET_PACKAGES</c> folder (so no cached
/// older build can answer), built with warnings as errors and without declaring a platform (the packages'
/// buildTransitive targets do it), the restored Overlay assemblies checked to be the ones just packed, and
/// three agents pasted from the documentation run as a three-node cluster in a namespace lab, each node a
/// process of the app: the vxlan README's hosted node ("vxlan node on etcd"), docs/embedding.md's agent
/// without a host ("agent-without-host") and its custom agent without Overlay.Hosting ("agent-without-hosting").
/// </summary>
[Trait("Category", Privileged.Category)]
public sealed class ConsumerPackageTests
{
    private static readonly string[] Packages = ["Overlay.Backends.Vxlan", "Overlay.Hosting", "Overlay.Subnets.Etcd"];

    [Fact]
    public async Task A_console_app_from_a_local_feed_builds_warning_free_and_runs_the_documented_agents_on_three_lab_nodes()
    {
        Privileged.Require();
        Privileged.RequireEtcd();
        CancellationToken ct = TestContext.Current.CancellationToken;
        string root = Snippets.RepositoryRoot();
        string work = Directory.CreateTempSubdirectory("ovl-consumer-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed"), packages = Path.Combine(work, "packages"), app = Path.Combine(work, "app");
            string version = $"0.0.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            var env = new Dictionary<string, string>
            {
                ["NUGET_PACKAGES"] = packages,
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["DOTNET_CLI_HOME"] = work,
            };

            // 1. Pack what test.sh built (the dlls the packages carry are the ones the other tests ran).
            await RunAsync("dotnet", ["pack", Path.Combine(root, "Overlay.sln"), "-c", "Release", "--no-build", "-o", feed, $"-p:Version={version}"], root, env, ct);
            foreach (string id in Packages)
            {
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), $"{id} {version} packed");
            }

            // 2. A console app outside the repository: its own nuget.config (the feed, then the usual sources), no build props above it.
            Directory.CreateDirectory(app);
            string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="overlay-feed" value="{feed}" />
                    {(Directory.Exists(globalPackages) ? $"<add key=\"machine-cache\" value=\"{globalPackages}\" />" : string.Empty)}
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <packageSourceMapping>
                    <packageSource key="overlay-feed"><package pattern="Overlay.*" /></packageSource>
                    <packageSource key="machine-cache"><package pattern="*" /></packageSource>
                    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
                  </packageSourceMapping>
                </configuration>
                """, ct);
            await File.WriteAllTextAsync(Path.Combine(app, "Consumer.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                </Project>
                """, ct);
            string hosted = Snippets.FromMarkdown(Path.Combine(root, "src", "Overlay.Backends.Vxlan", "README.md"), "vxlan-node-on-etcd");
            string embedding = Path.Combine(root, "docs", "embedding.md");
            string withoutHost = Snippets.FromMarkdown(embedding, "agent-without-host");
            string withoutHosting = Snippets.FromMarkdown(embedding, "agent-without-hosting");
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), $$"""
                using System.Net;
                using System.Runtime.InteropServices;
                using Microsoft.Extensions.DependencyInjection;
                using Microsoft.Extensions.Hosting;
                using Microsoft.Extensions.Logging;
                using Overlay.Backends;
                using Overlay.Backends.Vxlan;
                using Overlay.Hosting;
                using Overlay.Netlink;
                using Overlay.Subnets;
                using Overlay.Subnets.Etcd;

                // args: <hosted|agent|custom> <etcd endpoint> <subnet file> <network namespace of the node>
                if (args[0] == "hosted")
                {
                    using IHost host = BuildVxlanNodeOnEtcd([args[1]], args[2], args[3]);
                    await host.RunAsync();
                    return 0;
                }

                using NetworkNamespace node = NetworkNamespace.Open(args[3]);

                using var stop = new CancellationTokenSource();
                using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
                try
                {
                    await (args[0] == "agent" ? RunNodeWithoutHostAsync(args[1], args[2], args[3], stop.Token) : RunNodeWithoutHostingAsync(args[1], args[2], node, stop.Token));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }

                return 0;

                // From the vxlan README ("vxlan node on etcd"), as it stands there:
                {{hosted}}

                // From docs/embedding.md ("agent-without-host"), as it stands there:
                {{withoutHost}}

                // From docs/embedding.md ("agent-without-hosting"), as it stands there:
                {{withoutHosting}}
                """, ct);
            foreach (string id in Packages)
            {
                await RunAsync("dotnet", ["add", "package", id, "--version", version], app, env, ct);
            }

            await RunAsync("dotnet", ["add", "package", "Microsoft.Extensions.Hosting", "--version", MicrosoftExtensionsVersion(root)], app, env, ct);
            string build = await RunAsync("dotnet", ["build", "-c", "Release"], app, env, ct);
            Assert.Matches(@"\b0 Warning\(s\)", build);

            // 3. The restored Overlay assemblies are the ones just packed (and built by this run).
            string output = Path.Combine(app, "bin", "Release", "net10.0");
            string[] overlayDlls = Directory.GetFiles(output, "Overlay.*.dll");
            Assert.Contains(overlayDlls, f => Path.GetFileName(f) == "Overlay.Backends.Vxlan.dll");
            foreach (string dll in overlayDlls)
            {
                string name = Path.GetFileNameWithoutExtension(dll);
                string restored = Path.Combine(packages, name.ToLowerInvariant(), version, "lib", "net10.0", name + ".dll");
                string built = Path.Combine(root, "src", name, "bin", "Release", "net10.0", name + ".dll");
                Assert.Equal(Hash(built), Hash(restored));
                Assert.Equal(Hash(built), Hash(dll));
            }

            // 4. Two nodes of the app in a lab, one private etcd on 127.0.0.1, pods answering each other.
            await using EtcdServer etcd = await EtcdServer.StartAsync(cancellationToken: ct);
            await etcd.PutAsync("/coreos.com/network/config", """{"Network":"198.19.0.0/16","Backend":{"Type":"vxlan"}}""");
            await using NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 3, IPv6 = false }, ct);
            string[] modes = ["hosted", "agent", "custom"];
            var nodes = new List<(LabNode Node, RunningProcess Process, string SubnetFile)>();
            try
            {
                foreach ((LabNode node, string mode) in lab.Nodes.Zip(modes))
                {
                    string subnetFile = Path.Combine(work, node.Name, "subnet.env");
                    nodes.Add((node, new RunningProcess(SampleAgent.DotnetHost, [Path.Combine(output, "Consumer.dll"), mode, etcd.Endpoint, subnetFile, node.Namespace], env), subnetFile));
                }

                foreach (var (node, process, subnetFile) in nodes)
                {
                    await Privileged.EventuallyAsync(() => Task.FromResult(File.Exists(subnetFile) || process.Process.HasExited),
                        () => $"{node.Name} writes its subnet file: {process.Stdout}{process.Stderr}");
                    Assert.False(process.Process.HasExited, process.Stderr);
                    Match subnet = Regex.Match(await File.ReadAllTextAsync(subnetFile, ct), @"FLANNEL_SUBNET=([0-9.]+)/(\d+)");
                    Assert.True(subnet.Success);
                    int prefix = int.Parse(subnet.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                    await node.AddPodBridgeAsync(new Lease(new IPNetwork(Masked(IPAddress.Parse(subnet.Groups[1].Value), prefix), prefix), null, new LeaseAttributes(), null), ct);
                }

                foreach (LabNode from in lab.Nodes)
                {
                    foreach (LabNode to in lab.Nodes.Where(n => n != from))
                    {
                        Assert.True(await from.PingUntilAsync(to.PodAddress!, from.PodAddress, attempts: 30, cancellationToken: ct) is not null,
                            $"{from.Name}'s pod ({modes[lab.Nodes.ToList().IndexOf(from)]}) reaches {to.Name}'s ({modes[lab.Nodes.ToList().IndexOf(to)]})");
                    }
                }

                foreach (var (node, process, _) in nodes)
                {
                    await RunAsync("kill", ["-TERM", process.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], work, null, ct);
                    Assert.True(await process.WaitAsync(60) == 0, $"{node.Name} stops cleanly on SIGTERM: {process.Stderr}");
                }
            }
            finally
            {
                foreach (var (_, process, _) in nodes)
                {
                    process.Dispose();
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }

    private static string MicrosoftExtensionsVersion(string root) =>
        Regex.Match(File.ReadAllText(Path.Combine(root, "Directory.Packages.props")), "<MicrosoftExtensionsVersion>([^<]+)</MicrosoftExtensionsVersion>").Groups[1].Value;

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static async Task<string> RunAsync(string file, string[] arguments, string directory, IDictionary<string, string>? env, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(5), ct);
        string output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}
