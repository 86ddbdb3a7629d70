using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Reconcile;
using Overlay.Backends.Vxlan;
using Overlay.Lab;
using Overlay.Netlink;
using Overlay.Subnets;

/// <summary>
/// The vxlan variant of the peer-join benchmark (issue 8): N simulated peers join one vxlan node in
/// a lab namespace; each needs a neighbour entry, an FDB entry and an onlink route (3·N objects).
/// Measures the time from the last lease event to the last route installed (routes go last, after
/// every neighbour and FDB entry, as seen by an independent notification listener), and how long a
/// deleted FDB entry takes to come back (notifications only). Baseline in the same run: `ip -batch`
/// (neighbours, routes) and `bridge -batch` (FDB) adding the same 3·N objects on a hand-made
/// flannel.1 in a fresh namespace (files written before timing; wall time of the processes).
/// </summary>
internal static class VxlanPeerJoin
{
    private static IPAddress PeerAddress(int i) => new([198, 18, (byte)(16 + (i >> 8)), (byte)(i & 255)]);

    private static MacAddress PeerMac(int i) => MacAddress.FromUInt64(0x0A_00_00_00_00_00UL | (uint)i);

    private static IPNetwork PeerSubnet(int i)
    {
        int offset = (i + 2) * 32;
        return new IPNetwork(new IPAddress([198, 19, (byte)(offset >> 8), (byte)(offset & 255)]), 27);
    }

    public static async Task<int> RunAsync(int peers, int restores)
    {
        var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","SubnetLen":27,"Backend":{"Type":"vxlan"}}""");
        double joinMs, totalMs, restoreMedian, restoreMax;
        await using (NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }))
        {
            LabNode node = lab.Nodes[0];
            using var registry = new InMemorySubnetRegistry(config);
            await using LabAgent agent = await LabAgent.StartAsync(node, registry, new VxlanBackend(), new ReconcileOptions { FullReconcileInterval = null });
            int device;
            using (NetlinkClient lookup = NetlinkClient.Open(node.NetlinkOptions))
            {
                device = (await lookup.GetLinkAsync("flannel.1")).Index;
            }

            using NetlinkClient observer = NetlinkClient.Open(node.NetlinkOptions);
            using var stop = new CancellationTokenSource();
            var installed = new HashSet<IPNetwork>();
            var allInstalled = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var restored = new ConcurrentDictionary<MacAddress, TaskCompletionSource<long>>();
            IAsyncEnumerable<NetlinkNotification> stream = observer.WatchAsync(NetlinkGroups.IPv4Route | NetlinkGroups.Neighbor, stop.Token);
            var watch = Task.Run(async () =>
            {
                try
                {
                    await foreach (NetlinkNotification n in stream)
                    {
                        long now = Stopwatch.GetTimestamp();
                        if (n is RouteNotification { Kind: NetlinkChangeKind.Added, Route: { Protocol: ReconcileOptions.DefaultRouteProtocol, Destination: { } dst } r } && r.OutputInterface == device
                            && installed.Add(dst) && installed.Count == peers)
                        {
                            allInstalled.TrySetResult(now);
                        }

                        if (n is FdbNotification { Kind: NetlinkChangeKind.Added, Entry: { } e } && restored.TryRemove(e.MacAddress, out var waiter))
                        {
                            waiter.TrySetResult(now);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });

            var leases = new List<Lease>();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < peers; i++)
            {
                IPNetwork subnet = PeerSubnet(i);
                if (subnet == agent.Network.Lease.Subnet)
                {
                    subnet = new IPNetwork(new IPAddress([198, 19, 255, 224]), 27);
                }

                using JsonDocument data = JsonDocument.Parse($"{{\"VNI\":1,\"VtepMAC\":\"{PeerMac(i)}\"}}");
                leases.Add(registry.Reserve(subnet, null, new LeaseAttributes { PublicIP = PeerAddress(i), BackendType = "vxlan", BackendData = data.RootElement.Clone() }));
            }

            long lastEvent = Stopwatch.GetTimestamp();
            long done = await allInstalled.Task.WaitAsync(TimeSpan.FromMinutes(5));
            joinMs = Stopwatch.GetElapsedTime(lastEvent, Math.Max(done, lastEvent)).TotalMilliseconds;
            totalMs = Stopwatch.GetElapsedTime(start, done).TotalMilliseconds;
            int neighbours = 0, fdb = 0;
            await foreach (Neighbor n in observer.NeighborsAsync(null, device))
            {
                neighbours += (n.State & NeighborState.Permanent) != 0 ? 1 : 0;
            }

            await foreach (FdbEntry e in observer.FdbEntriesAsync(device))
            {
                fdb += e.Destination is not null ? 1 : 0;
            }

            Console.WriteLine($"{peers} leases appeared within {Stopwatch.GetElapsedTime(start, lastEvent).TotalMilliseconds:F0} ms; {neighbours} neighbours, {fdb} FDB entries, {installed.Count} routes on flannel.1");

            var samples = new List<double>();
            var random = new Random(1);
            for (int i = 0; i < restores; i++)
            {
                int victim = random.Next(peers);
                var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                restored[PeerMac(victim)] = waiter;
                long t0 = Stopwatch.GetTimestamp();
                await observer.FdbDeleteAsync(new FdbEntry { InterfaceIndex = device, MacAddress = PeerMac(victim), Destination = PeerAddress(victim) });
                long t1 = await waiter.Task.WaitAsync(TimeSpan.FromSeconds(30));
                samples.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            }

            samples.Sort();
            restoreMedian = samples[samples.Count / 2];
            restoreMax = samples[^1];
            await stop.CancelAsync();
            await watch;
        }

        double ipMs, bridgeMs;
        await using (NamespaceLab lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }))
        {
            LabNode node = lab.Nodes[0];
            using (NetlinkClient netlink = NetlinkClient.Open(node.NetlinkOptions))
            {
                // flannel.1 as flannel creates it (not timed): vxlan id 1, local underlay address, dev eth0, nolearning.
                Link eth0 = await netlink.GetLinkAsync(LabNode.UnderlayInterfaceName);
                Link vxlan = await netlink.LinkAddAsync(new VxlanLinkSpec { Name = "flannel.1", Vni = 1, Local = node.Underlay, UnderlayIndex = eth0.Index, Learning = false });
                await netlink.LinkSetUpAsync(vxlan.Index);
            }

            string ipFile = Path.Combine(Path.GetTempPath(), $"ovl-bench-{Environment.ProcessId}.ip");
            string bridgeFile = Path.Combine(Path.GetTempPath(), $"ovl-bench-{Environment.ProcessId}.bridge");
            await File.WriteAllLinesAsync(ipFile, Enumerable.Range(0, peers).Select(i => $"neigh replace {PeerSubnet(i).BaseAddress} lladdr {PeerMac(i)} dev flannel.1 nud permanent")
                .Concat(Enumerable.Range(0, peers).Select(i => $"route replace {PeerSubnet(i)} via {PeerSubnet(i).BaseAddress} dev flannel.1 onlink proto 111")));
            await File.WriteAllLinesAsync(bridgeFile, Enumerable.Range(0, peers).Select(i => $"fdb replace {PeerMac(i)} dev flannel.1 self dst {PeerAddress(i)} permanent"));
            try
            {
                // flannel's order: all neighbours, then FDB, then routes (the neighbour lines run first in the ip batch).
                var sw = Stopwatch.StartNew();
                await Iproute2.RunAsync("bridge", "-n", node.Namespace, "-batch", bridgeFile);
                bridgeMs = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                await Iproute2.RunAsync("ip", "-n", node.Namespace, "-batch", ipFile);
                ipMs = sw.Elapsed.TotalMilliseconds;
            }
            finally
            {
                File.Delete(ipFile);
                File.Delete(bridgeFile);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| vxlan, {peers} peers ({3 * peers} objects), one node in a namespace | time |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| last lease event → all {3 * peers} objects installed (Overlay) | {joinMs:F1} ms |");
        Console.WriteLine($"| first lease event → all {3 * peers} objects installed (Overlay) | {totalMs:F1} ms |");
        Console.WriteLine($"| `bridge -batch` {peers} FDB + `ip -batch` {peers} neighbours and {peers} routes (process wall time) | {bridgeMs + ipMs:F1} ms ({bridgeMs:F1} + {ipMs:F1}) |");
        Console.WriteLine($"| deleted FDB entry restored, median of {restores} (notifications only) | {restoreMedian:F2} ms |");
        Console.WriteLine($"| deleted FDB entry restored, maximum of {restores} | {restoreMax:F2} ms |");
        return 0;
    }
}
