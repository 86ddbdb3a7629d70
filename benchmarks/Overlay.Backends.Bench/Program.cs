using System.Diagnostics;
using System.Globalization;
using System.Net;
using Overlay.Backends;
using Overlay.Backends.HostGw;
using Overlay.Backends.Reconcile;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Subnets;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Peer-join benchmark (issue 6): joins N simulated peers into one host-gw node inside a lab
// namespace and measures (a) the time from the last lease event to all N routes installed, as seen
// by an independent netlink notification listener, and (b) how long a route deleted by hand takes
// to come back (notifications only, periodic reconcile off). Baseline in the same run: `ip -batch`
// adding the same N routes in a fresh lab namespace (batch file written before timing; wall time of
// the ip process).
//
//   dotnet run -c Release --project benchmarks/Overlay.Backends.Bench -- [--peers 1000] [--restores 50] [--backend vxlan]

int peers = Arg("--peers", 1000);
int restores = Arg("--restores", 50);
if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("This benchmark needs root (it creates network namespaces).");
    return 2;
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Contains("vxlan"))
{
    return await VxlanPeerJoin.RunAsync(peers, restores); // neighbour + FDB + route per peer (VxlanPeerJoin.cs)
}

var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","SubnetLen":27,"Backend":{"Type":"host-gw"}}""");
if (config.Validate().SubnetCount < (UInt128)(peers + 1))
{
    Console.Error.WriteLine($"At most {config.Validate().SubnetCount - 1} peers fit the benchmark network.");
    return 2;
}

// Simulated peers publish addresses on the node's link (198.18.0.0/16 added to eth0).
static IPAddress PeerAddress(int i) => new([198, 18, (byte)(16 + (i >> 8)), (byte)(i & 255)]);

// --- ours --------------------------------------------------------------------------------------
double joinMs, restoreMedian, restoreMax, ourTotalMs;
await using (NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }))
{
    LabNode node = lab.Nodes[0];
    await AddPeerRangeAsync(node);
    using var registry = new InMemorySubnetRegistry(config);
    await using LabAgent agent = await LabAgent.StartAsync(node, registry, new HostGwBackend(), new ReconcileOptions { FullReconcileInterval = null });

    using NetlinkClient observer = NetlinkClient.Open(node.NetlinkOptions);
    using var stop = new CancellationTokenSource();
    var installed = new HashSet<IPNetwork>();
    var allInstalled = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
    var restored = new System.Collections.Concurrent.ConcurrentDictionary<IPNetwork, TaskCompletionSource<long>>();
    IAsyncEnumerable<NetlinkNotification> stream = observer.WatchAsync(NetlinkGroups.IPv4Route, stop.Token); // subscribed on return
    var watch = Task.Run(async () =>
    {
        try
        {
            await foreach (NetlinkNotification notification in stream)
            {
                if (notification is RouteNotification { Kind: NetlinkChangeKind.Added, Route: { Protocol: ReconcileOptions.DefaultRouteProtocol, Destination: { } dst } })
                {
                    long now = Stopwatch.GetTimestamp();
                    if (restored.TryRemove(dst, out var waiter))
                    {
                        waiter.TrySetResult(now);
                    }

                    if (installed.Add(dst) && installed.Count == peers)
                    {
                        allInstalled.TrySetResult(now);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    });

    // The join storm: all peers' leases appear at once (reserved with explicit subnets, so the
    // registry's own allocation work is not part of the measurement).
    var leases = new List<Lease>();
    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < peers; i++)
    {
        int offset = (i + 2) * 32; // skip SubnetMin's neighbourhood: the node's own lease is the first free subnet
        var subnet = new IPNetwork(new IPAddress([198, 19, (byte)(offset >> 8), (byte)(offset & 255)]), 27);
        if (subnet == agent.Network.Lease.Subnet)
        {
            subnet = new IPNetwork(new IPAddress([198, 19, 255, 224]), 27); // the node's own: use the last subnet instead
        }

        leases.Add(registry.Reserve(subnet, null, new LeaseAttributes { PublicIP = PeerAddress(i), BackendType = "host-gw" }));
    }

    long lastEvent = Stopwatch.GetTimestamp();
    long done = await allInstalled.Task.WaitAsync(TimeSpan.FromMinutes(5));
    joinMs = Stopwatch.GetElapsedTime(lastEvent, Math.Max(done, lastEvent)).TotalMilliseconds;
    ourTotalMs = Stopwatch.GetElapsedTime(start, done).TotalMilliseconds;
    Console.WriteLine($"{peers} leases appeared within {Stopwatch.GetElapsedTime(start, lastEvent).TotalMilliseconds:F0} ms; all routes installed {joinMs:F1} ms after the last lease event");

    var samples = new List<double>();
    var random = new Random(1);
    for (int i = 0; i < restores; i++)
    {
        Lease victim = leases[random.Next(leases.Count)];
        var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        restored[victim.Subnet!.Value] = waiter;
        long t0 = Stopwatch.GetTimestamp();
        await observer.RouteDeleteAsync(new Route { Destination = victim.Subnet, Gateway = victim.Attributes.PublicIP, Protocol = ReconcileOptions.DefaultRouteProtocol });
        long t1 = await waiter.Task.WaitAsync(TimeSpan.FromSeconds(30));
        samples.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
    }

    samples.Sort();
    restoreMedian = samples[samples.Count / 2];
    restoreMax = samples[^1];
    await stop.CancelAsync();
    await watch;
}

// --- ip -batch baseline ------------------------------------------------------------------------
double ipMs;
await using (NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }))
{
    LabNode node = lab.Nodes[0];
    await AddPeerRangeAsync(node);
    string file = Path.Combine(Path.GetTempPath(), $"ovl-bench-{Environment.ProcessId}.batch");
    await File.WriteAllLinesAsync(file, Enumerable.Range(0, peers).Select(i =>
    {
        int offset = (i + 2) * 32;
        var dst = new IPAddress([198, 19, (byte)(offset >> 8), (byte)(offset & 255)]);
        return $"route add {dst}/27 via {PeerAddress(i)} dev eth0 proto 111";
    }));
    try
    {
        var sw = Stopwatch.StartNew();
        await Iproute2.RunAsync("ip", "-n", node.Namespace, "-batch", file);
        ipMs = sw.Elapsed.TotalMilliseconds;
    }
    finally
    {
        File.Delete(file);
    }
}

Console.WriteLine();
Console.WriteLine($"| host-gw, {peers} peers, one node in a namespace | time |");
Console.WriteLine("|---|---:|");
Console.WriteLine($"| last lease event → all {peers} routes installed (Overlay) | {joinMs:F1} ms |");
Console.WriteLine($"| first lease event → all {peers} routes installed (Overlay) | {ourTotalMs:F1} ms |");
Console.WriteLine($"| `ip -batch` adding the same {peers} routes (process wall time) | {ipMs:F1} ms |");
Console.WriteLine($"| deleted route restored, median of {restores} (notifications only) | {restoreMedian:F2} ms |");
Console.WriteLine($"| deleted route restored, maximum of {restores} | {restoreMax:F2} ms |");
return 0;

// The simulated peers' addresses are on-link: 198.18.0.0/16 on the node's eth0.
static async Task AddPeerRangeAsync(LabNode node)
{
    using NetlinkClient netlink = NetlinkClient.Open(node.NetlinkOptions);
    Link eth0 = await netlink.GetLinkAsync(LabNode.UnderlayInterfaceName);
    await netlink.AddressAddAsync(new LinkAddress { InterfaceIndex = eth0.Index, Address = IPAddress.Parse("198.18.255.1"), PrefixLength = 16 });
}

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
