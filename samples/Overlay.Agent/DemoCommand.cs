using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Overlay.Backends;
using Overlay.Backends.AwsVpc;
using Overlay.Hosting;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Subnets.Etcd;
using Overlay.Subnets.Kubernetes;

namespace Overlay.Agent;

/// <summary>
/// `demo`: builds a lab of network namespaces, runs one in-process agent per node against one
/// in-memory registry (or, with <c>--etcd-endpoints</c>, one etcd registry shared the same way; the
/// client runs in this process, in the host's namespace), checks every ordered pair of pod addresses with ICMP echo, prints a table,
/// removes everything, and exits 0 only when every check passed. Nothing here knows a backend:
/// the backend is looked up by its type in the registered ones.
/// </summary>
internal static class DemoCommand
{
    public const int ExitFailed = 1;
    public const int ExitPrerequisite = 2;
    public const int HealthzPort = 8081;

    private sealed record Settings(string Backend, int Nodes, bool IPv6, bool Keep, bool Hold, bool Verbose, string? EtcdEndpoints = null, string EtcdPrefix = EtcdSubnetRegistryOptions.DefaultPrefix, bool IPMasq = false, bool Kube = false);

    public static Command Create()
    {
        var backend = new Option<string>("--backend") { Description = "The backend type to demonstrate (any registered one).", DefaultValueFactory = _ => "vxlan" };
        var nodes = new Option<int>("--nodes") { Description = "Number of nodes (2 to 200).", DefaultValueFactory = _ => 3 };
        var ipv6 = new Option<bool>("--ipv6") { Description = "Dual stack: IPv6 underlay and overlay as well as IPv4." };
        var keep = new Option<bool>("--keep") { Description = "Leave the lab's namespaces in place at the end." };
        var hold = new Option<bool>("--hold") { Description = "Keep the lab and the agents running until Ctrl-C, and print how to reach each node." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the agents' logs (on stderr)." };
        var etcdEndpoints = new Option<string?>("--etcd-endpoints") { Description = "Comma-separated etcd endpoints: the nodes keep their leases there (an existing <prefix>/config wins; the leases stay after exit)." };
        var etcdPrefix = new Option<string>("--etcd-prefix") { Description = "etcd prefix with --etcd-endpoints.", DefaultValueFactory = _ => EtcdSubnetRegistryOptions.DefaultPrefix };
        var ipMasq = new Option<bool>("--ip-masq") { Description = "Masquerade pod traffic leaving the overlay (flannel's nftables rules, EnableNFTables) and show what a host outside the overlay sees." };
        var kube = new Option<bool>("--kube") { Description = "Use the Kubernetes subnet manager: an API server stand-in on 127.0.0.1 holds one node object per lab node (with its podCIDR), each agent has its own registry for its node and learns its peers from the node annotations." };
        var command = new Command("demo", "Build a lab of network namespaces, run one agent per node, and check that every node reaches every other node's pods.")
        {
            backend, nodes, ipv6, keep, hold, verbose, etcdEndpoints, etcdPrefix, ipMasq, kube,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            new Settings(parse.GetValue(backend)!, parse.GetValue(nodes), parse.GetValue(ipv6), parse.GetValue(keep), parse.GetValue(hold), parse.GetValue(verbose),
                parse.GetValue(etcdEndpoints), parse.GetValue(etcdPrefix)!, parse.GetValue(ipMasq), parse.GetValue(kube)),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            await Console.Error.WriteLineAsync(
                "overlay demo: needs root — it creates network namespaces, links and routes (CAP_SYS_ADMIN, CAP_NET_ADMIN).\n" +
                "Run it as root, for example:\n  sudo dotnet run --project samples/Overlay.Agent -- demo");
            return ExitPrerequisite;
        }

        if (settings.Nodes is < 2 or > 200)
        {
            await Console.Error.WriteLineAsync($"overlay demo: --nodes must be 2 to 200, not {settings.Nodes}.");
            return ExitPrerequisite;
        }

        var services = new ServiceCollection();
        services.AddLogging(b => b
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddFilter(null, settings.Verbose ? LogLevel.Information : LogLevel.Warning));
        services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        services.AddOverlayBackends().AddSampleBackends();
        await using ServiceProvider provider = services.BuildServiceProvider();
        BackendRegistry backends = provider.GetRequiredService<BackendRegistry>();
        ILoggerFactory loggerFactory = provider.GetRequiredService<ILoggerFactory>();
        if (!backends.TryGet(settings.Backend, out IOverlayBackend? backend))
        {
            await Console.Error.WriteLineAsync($"overlay demo: unknown backend '{settings.Backend}'; registered: {string.Join(", ", backends.Types)}.");
            return ExitPrerequisite;
        }

        return await RunLabAsync(settings, backend, backends, loggerFactory, cancellationToken);
    }

    private static async Task<int> RunLabAsync(Settings settings, IOverlayBackend backend, BackendRegistry backends, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        string family = settings.IPv6 ? "dual stack (IPv4 + IPv6)" : "IPv4";
        bool aws = string.Equals(backend.Type, AwsVpcBackendConfig.TypeName, StringComparison.OrdinalIgnoreCase);
        Console.WriteLine($"Overlay demo: backend {backend.Type}, {settings.Nodes} nodes, {family}");
        Console.WriteLine(aws
            ? $"[1/5] Building the lab: {settings.Nodes} network namespaces on two segments (198.18.1.0/24, 198.18.2.0/24) behind a router namespace that plays the VPC router"
            : $"[1/5] Building the lab: {settings.Nodes} network namespaces on one L2 segment (underlay 198.18.1.0/24{(settings.IPv6 ? ", 2001:db8:18:1::/64" : string.Empty)})");
        NamespaceLab lab;
        try
        {
            lab = await NamespaceLab.CreateAsync(
                aws ? AwsVpcDemo.LabOptions(settings.Nodes, settings.IPv6, settings.Keep) : new LabOptions { Nodes = settings.Nodes, IPv6 = settings.IPv6, Keep = settings.Keep },
                cancellationToken);
        }
        catch (IOException ex) // NetlinkException included
        {
            await Console.Error.WriteLineAsync(
                $"overlay demo: could not build the lab — a kernel feature is probably missing (network namespaces, veth, bridge):\n  {ex.Message}");
            return ExitPrerequisite;
        }

        string stateDirectory = Path.Combine("/run/overlay-demo", lab.Prefix);
        NetworkConfig config = NetworkConfig.Parse(
            "{\"Network\":\"198.19.0.0/16\",\"EnableIPv6\":" + (settings.IPv6 ? "true" : "false")
            + ",\"IPv6Network\":\"2001:db8:19::/48\"" + (settings.IPMasq ? ",\"EnableNFTables\":true" : string.Empty)
            + ",\"Backend\":{\"Type\":\"" + backend.Type + "\"}}");
        EtcdSubnetRegistry? etcd = null;
        if (!string.IsNullOrWhiteSpace(settings.EtcdEndpoints))
        {
            var etcdOptions = new EtcdSubnetRegistryOptions
            {
                Endpoints = [.. settings.EtcdEndpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Prefix = settings.EtcdPrefix,
            };
            try
            {
                etcdOptions.Validate();
                etcd = new EtcdSubnetRegistry(etcdOptions, loggerFactory);
                if (await etcd.TryCreateNetworkConfigAsync(config, cancellationToken))
                {
                    Console.WriteLine($"      etcd {string.Join(',', etcdOptions.Endpoints)}: no {etcd.ConfigKey} yet; wrote one from the demo's options");
                }
                else
                {
                    config = await etcd.GetNetworkConfigAsync(cancellationToken);
                    Console.WriteLine($"      etcd {string.Join(',', etcdOptions.Endpoints)}: {etcd.ConfigKey} exists and wins over the demo's options: {config.ToJson()}");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                etcd?.Dispose();
                await lab.DisposeAsync();
                await Console.Error.WriteLineAsync($"overlay demo: cannot use etcd at {settings.EtcdEndpoints}: {ex.Message}");
                return ExitPrerequisite;
            }
        }

        // aws-vpc: an EC2 double, an IMDS double per node, and the lab's router forwarding by the double's route table.
        await using AwsVpcDemo? awsDemo = aws ? new AwsVpcDemo() : null;
        awsDemo?.Start(lab, config.Network!.Value);
        Func<LabNode, BackendRegistry> backendsFor = awsDemo is null ? _ => backends : awsDemo.BackendsFor;
        using IDisposable registryLifetime = etcd is null ? new InMemorySubnetRegistry(config, loggerFactory: loggerFactory) : etcd;
        ISubnetRegistry registry = (ISubnetRegistry)registryLifetime;
        await using KubernetesApiDouble? apiServer = settings.Kube ? KubernetesApiDouble.Start() : null;
        var kubeRegistries = new List<KubernetesSubnetRegistry>();
        Func<LabNode, ISubnetRegistry> registryFor = _ => registry;
        if (apiServer is not null)
        {
            foreach (LabNode node in lab.Nodes)
            {
                // As the node IPAM controller would: one /24 (and /64) of the cluster network per node.
                string[] cidrs = settings.IPv6 ? [$"198.19.{node.Host}.0/24", $"2001:db8:19:{node.Host:x}::/64"] : [$"198.19.{node.Host}.0/24"];
                apiServer.AddNode(node.Name, cidrs, new Dictionary<string, string> { ["node.alpha.kubernetes.io/ttl"] = "0" });
            }

            Console.WriteLine($"      Kubernetes API server stand-in at {apiServer.Url}: {lab.Nodes.Count} node objects with their podCIDRs; try: kubectl --kubeconfig {apiServer.WriteKubeconfig(Path.Combine(Path.GetTempPath(), lab.Prefix + "-kubeconfig"))} get nodes -o json");
            registryFor = node =>
            {
                var kubeRegistry = new KubernetesSubnetRegistry(new KubernetesSubnetRegistryOptions { NodeName = node.Name, ApiUrl = apiServer.Url.ToString(), NetworkConfig = config }, loggerFactory);
                kubeRegistries.Add(kubeRegistry);
                return kubeRegistry;
            };
        }

        var agents = new List<(LabNode Node, OverlayAgent Agent)>();
        int exitCode = ExitFailed;
        try
        {
            exitCode = await RunAgentsAsync(settings, backend, backendsFor, loggerFactory, lab, registryFor, config, stateDirectory, agents, cancellationToken);
            awsDemo?.PrintSummary();
            if (settings.Hold && exitCode == 0)
            {
                PrintHold(settings, lab, stateDirectory, agents);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.WriteLine("Interrupted.");
            exitCode = 130;
        }
        finally
        {
            Console.WriteLine(settings.Keep
                ? $"[5/5] Stopping the agents; keeping the lab (--keep): namespaces {lab.Prefix}-*, subnet files under {stateDirectory}"
                : $"[5/5] Cleaning up: stopping the agents, deleting the lab's namespaces ({lab.Prefix}-*) and {stateDirectory}");
            foreach ((_, OverlayAgent agent) in agents)
            {
                await agent.DisposeAsync();
            }

            foreach (KubernetesSubnetRegistry kubeRegistry in kubeRegistries)
            {
                await kubeRegistry.DisposeAsync();
            }

            if (apiServer is not null)
            {
                File.Delete(Path.Combine(Path.GetTempPath(), lab.Prefix + "-kubeconfig"));
            }

            if (awsDemo is not null)
            {
                await awsDemo.DisposeAsync(); // the router loop and the doubles stop before the namespaces go
            }

            await lab.DisposeAsync();
            if (etcd is not null)
            {
                Console.WriteLine($"      Leaving the nodes' leases in etcd under {etcd.Prefix}/subnets, as flanneld does (they expire with their TTL)");
            }

            if (!settings.Keep)
            {
                try
                {
                    Directory.Delete(stateDirectory, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                }

                if (Directory.Exists("/run/overlay-demo") && !Directory.EnumerateFileSystemEntries("/run/overlay-demo").Any())
                {
                    Directory.Delete("/run/overlay-demo");
                }

                string[] left = Directory.Exists(NetworkNamespace.NamedNamespaceDirectory)
                    ? [.. Directory.GetFiles(NetworkNamespace.NamedNamespaceDirectory).Select(Path.GetFileName).Where(n => n!.StartsWith(lab.Prefix, StringComparison.Ordinal))!]
                    : [];
                if (left.Length > 0)
                {
                    await Console.Error.WriteLineAsync($"overlay demo: namespaces left behind: {string.Join(", ", left)}");
                    exitCode = ExitFailed;
                }
            }
        }

        Console.WriteLine(exitCode == 0 ? "Result: PASS" : $"Result: FAIL (exit code {exitCode})");
        return exitCode;
    }

    private static async Task<int> RunAgentsAsync(Settings settings, IOverlayBackend backend, Func<LabNode, BackendRegistry> backendsFor, ILoggerFactory loggerFactory,
        NamespaceLab lab, Func<LabNode, ISubnetRegistry> registryFor, NetworkConfig config, string stateDirectory, List<(LabNode Node, OverlayAgent Agent)> agents, CancellationToken cancellationToken)
    {
        string shared = settings.Kube ? "the Kubernetes subnet manager (one registry per node, its own node object)"
            : registryFor(lab.Nodes[0]) is EtcdSubnetRegistry etcd ? $"one etcd registry (prefix {etcd.Prefix})" : "one in-memory registry";
        Console.WriteLine($"[2/5] Starting {lab.Nodes.Count} agents in this process, one per node, sharing {shared} (net-conf: {config.ToJson()})");
        foreach (LabNode node in lab.Nodes)
        {
            // The agent runs inside the node's namespace (netlink, health socket), its subnet.env under the state directory.
            OverlayAgentOptions options = node.CreateAgentOptions(stateDirectory);
            options.HealthzPort = HealthzPort;
            options.IPMasq = settings.IPMasq;
            options.IPTablesForwardRules = settings.IPMasq;
            OverlayAgent agent;
            try
            {
                agent = await node.StartOverlayAgentAsync(registryFor(node), backendsFor(node), options, loggerFactory, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"overlay demo: the agent of {node.Name} did not become ready: {ex.Message}");
                return ExitFailed;
            }

            agents.Add((node, agent));
            Console.WriteLine($"      {node.Name}  {node.Namespace}  lease {Subnets(agent.Lease!)}  ready (subnet.env written, /healthz on 127.0.0.1:{HealthzPort})");
        }

        bool ok = true;
        Lease[] leases = [.. agents.Select(a => a.Agent.Lease!)];
        if (leases.Select(l => l.Key).Distinct(StringComparer.Ordinal).Count() != leases.Length)
        {
            await Console.Error.WriteLineAsync("overlay demo: two nodes hold the same subnet.");
            ok = false;
        }

        // A backend has a data plane when its network programs peers. The last node started became ready
        // only after programming the first snapshot of every lease, so it reports the other nodes as peers
        // unless the backend programs nothing (alloc only allocates subnets).
        bool dataPlane = agents.Any(a => a.Agent.Peers.Count > 0);
        var rtt = new Dictionary<(LabNode, LabNode, bool), TimeSpan?>();
        if (!dataPlane)
        {
            Console.WriteLine($"[3/5] Every node holds a distinct lease: {(ok ? "yes" : "NO")}");
            Console.WriteLine($"[4/5] Connectivity is not part of the {backend.Type} backend: it only allocates subnets (something else routes pod traffic); nothing to ping");
        }
        else
        {
            Console.WriteLine($"[3/5] Waiting until every node has programmed its {agents.Count - 1} peers");
            ok &= await WaitForPeersAsync(agents, cancellationToken);
            int pairs = agents.Count * (agents.Count - 1);
            Console.WriteLine($"[4/5] Pinging every ordered pair of pod addresses ({pairs} pairs{(settings.IPv6 ? " × IPv4 and IPv6" : string.Empty)}), ICMP echo from inside the namespaces");
            foreach (var (a, _) in agents)
            {
                foreach (var (b, _) in agents.Where(x => x.Node != a))
                {
                    foreach (bool v6 in settings.IPv6 ? new[] { false, true } : [false])
                    {
                        IPAddress source = (v6 ? a.PodAddressV6 : a.PodAddress)!;
                        IPAddress target = (v6 ? b.PodAddressV6 : b.PodAddress)!;
                        TimeSpan? time = await a.PingUntilAsync(target, source, attempts: 5, timeout: TimeSpan.FromSeconds(1), cancellationToken);
                        rtt[(a, b, v6)] = time;
                        if (time is null)
                        {
                            ok = false;
                            Console.WriteLine($"      {source} -> {target}: no answer");
                        }
                    }
                }
            }

            int answered = rtt.Values.Count(v => v is not null);
            Console.WriteLine($"      {answered} of {rtt.Count} echo requests answered");
            if (settings.IPMasq)
            {
                ok &= await PingOutsideAsync(settings, lab, agents, cancellationToken);
            }
        }

        PrintTable(settings, agents, rtt, dataPlane);
        return ok ? 0 : ExitFailed;
    }

    /// <summary>--ip-masq: every node's pod pings a host outside the overlay, which reports the source it saw.</summary>
    private static async Task<bool> PingOutsideAsync(Settings settings, NamespaceLab lab, List<(LabNode Node, OverlayAgent Agent)> agents, CancellationToken cancellationToken)
    {
        await using LabOutsideHost outside = await lab.AddOutsideHostAsync(cancellationToken);
        Console.WriteLine($"      --ip-masq: every node's pod pings {outside.Address}{(settings.IPv6 ? $" and {outside.AddressV6}" : string.Empty)}, a host outside the overlay ({outside.Namespace}, no route to the pods)");
        bool ok = true;
        foreach (var (node, _) in agents)
        {
            foreach (bool v6 in settings.IPv6 ? new[] { false, true } : [false])
            {
                IPAddress source = (v6 ? node.PodAddressV6 : node.PodAddress)!;
                IPAddress target = (v6 ? outside.AddressV6 : outside.Address)!;
                IPAddress expected = (v6 ? node.UnderlayV6 : node.Underlay)!;
                outside.Clear();
                TimeSpan? time = await node.PingUntilAsync(target, source, attempts: 5, timeout: TimeSpan.FromSeconds(1), cancellationToken);
                IPAddress? seen = null;
                try
                {
                    // The echo request reached the outside host before its reply reached the pod; its listener may still be handing it over.
                    seen = await outside.WaitForEchoAsync(a => a.AddressFamily == target.AddressFamily, cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                }
                catch (TimeoutException)
                {
                }

                bool masqueraded = expected.Equals(seen);
                ok &= masqueraded && time is not null;
                string what = seen is null ? "nothing arrived" : masqueraded ? "the node's address: masqueraded" : "NOT the node's address";
                Console.WriteLine($"      {node.Name} pod {source,-22} -> {target}: the outside host saw {seen?.ToString() ?? "-"} ({what}), reply {(time is null ? "none" : "received")}");
            }
        }

        return ok;
    }

    private static async Task<bool> WaitForPeersAsync(List<(LabNode Node, OverlayAgent Agent)> agents, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30); // a hang guard, not a timing expectation
        while (true)
        {
            bool all = agents.All(a => a.Agent.Network is { } n && n.Peers.Count == agents.Count - 1 && n.Peers.All(p => p.IsHealthy));
            if (all)
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                await Console.Error.WriteLineAsync("overlay demo: not every node programmed every peer within 30 s");
                return false;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static void PrintTable(Settings settings, List<(LabNode Node, OverlayAgent Agent)> agents, Dictionary<(LabNode, LabNode, bool), TimeSpan?> rtt, bool dataPlane)
    {
        var byLease = agents.ToDictionary(a => a.Agent.Lease!.Key, a => a.Node, StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"node",-5} {"namespace",-22} {"public IP",-13} {"subnet",-16} {(settings.IPv6 ? $"{"IPv6 subnet",-22} " : string.Empty)}MTU");
        foreach (var (node, agent) in agents)
        {
            Lease lease = agent.Lease!;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{node.Name,-5} {node.Namespace,-22} {lease.Attributes.PublicIP,-13} {lease.Subnet?.ToString() ?? "-",-16} {(settings.IPv6 ? $"{lease.IPv6Subnet?.ToString() ?? "-",-22} " : string.Empty)}{agent.Network!.Mtu}");
            if (!dataPlane)
            {
                continue;
            }

            foreach (PeerStatus peer in agent.Network.Peers.OrderBy(p => byLease.TryGetValue(p.Key, out LabNode? n) ? n.Host : int.MaxValue))
            {
                LabNode? other = byLease.GetValueOrDefault(peer.Key);
                string ping = other is null ? string.Empty
                    : "  IPv4 " + Format(rtt.GetValueOrDefault((node, other, false))) + (settings.IPv6 ? "  IPv6 " + Format(rtt.GetValueOrDefault((node, other, true))) : string.Empty);
                string error = peer.LastError is null ? string.Empty : $" (error: {peer.LastError})";
                sb.AppendLine(CultureInfo.InvariantCulture, $"      -> {(other is null ? peer.Key : other.Name),-4} {peer.Mode.ToString().ToLowerInvariant(),-11} {peer.Reason}{error}{ping}");
            }
        }

        Console.Write(sb.ToString());
        Console.WriteLine();
    }

    private static void PrintHold(Settings settings, NamespaceLab lab, string stateDirectory, List<(LabNode Node, OverlayAgent Agent)> agents)
    {
        Console.WriteLine("Holding the lab and the agents; press Ctrl-C to stop. To reach a node:");
        foreach (var (node, _) in agents)
        {
            string target = agents.First(a => a.Node != node).Node.PodAddress!.ToString();
            Console.WriteLine($"  sudo ip netns exec {node.Namespace} ping -I {node.PodAddress} {target}");
        }

        LabNode first = agents[0].Node;
        Console.WriteLine($"  sudo ip netns exec {first.Namespace} curl -s http://127.0.0.1:{HealthzPort}/readyz");
        Console.WriteLine($"  sudo ip -n {first.Namespace} route");
        Console.WriteLine($"  cat {Path.Combine(stateDirectory, first.Name, "subnet.env")}");
        if (settings.IPv6)
        {
            Console.WriteLine($"  sudo ip -n {first.Namespace} -6 route");
        }

        _ = lab;
    }

    private static string Subnets(Lease lease) =>
        lease.IPv6Subnet is null ? lease.Subnet?.ToString() ?? "-" : $"{lease.Subnet?.ToString() ?? "-"} + {lease.IPv6Subnet}";

    private static string Format(TimeSpan? time) =>
        time is { } t ? t.TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture) + " ms" : "FAIL";
}
