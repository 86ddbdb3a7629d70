using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.Udp;
using Overlay.Encap;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>
/// The udp backend in a namespace lab: agents in-process, one TUN + engine per node, flannel's wire format on the
/// underlay. All tests of this class and of IPIPTests run one after another (one xunit collection,
/// <see cref="EngineThreadsCollection"/>), so the engine threads counted in the shutdown test are this class's only.
/// </summary>
[Trait("Category", Privileged.Category)]
[Collection(EngineThreadsCollection.Name)]
public sealed class UdpTests : IAsyncLifetime
{
    private const int Port = UdpBackendConfig.DefaultPort;
    private const long TransferBytes = 100L << 20;

    private readonly List<LabAgent> _agents = [];
    private NamespaceLab? _lab;
    private InMemorySubnetRegistry? _registry;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NetworkConfig Config(string backend = "{\"Type\":\"udp\"}") =>
        NetworkConfig.Parse("{\"Network\":\"198.19.0.0/16\",\"Backend\":" + backend + "}");

    private async Task StartAsync(LabOptions? lab = null, string backend = "{\"Type\":\"udp\"}")
    {
        Privileged.Require();
        Assert.SkipUnless(File.Exists("/dev/net/tun"), "needs /dev/net/tun (CONFIG_TUN)");
        _lab = await NamespaceLab.CreateAsync(lab ?? new LabOptions { IPv6 = false }, Ct);
        _registry = new InMemorySubnetRegistry(Config(backend));
        foreach (LabNode node in _lab.Nodes)
        {
            _agents.Add(await LabAgent.StartAsync(node, _registry, new UdpBackend(new UdpBackendOptions { Queues = 2 }), cancellationToken: Ct));
        }

        // Every node knows both others before a test starts sending.
        foreach (LabAgent agent in _agents)
        {
            await Privileged.EventuallyAsync(() => Task.FromResult(agent.Network.Peers.Count(p => p.Mode == PeerMode.Udp) == _agents.Count - 1), $"{agent.Node.Namespace} has every peer");
        }
    }

    [Fact]
    public async Task Every_pair_connects_with_ping_and_100_MB_of_tcp_through_a_router()
    {
        // Two nodes on one segment, the third behind the lab's router: the udp backend needs only IP reachability.
        await StartAsync(new LabOptions { Nodes = 2, RoutedNodes = 1, IPv6 = false });

        foreach (LabAgent a in _agents)
        {
            // The kernel's view (ip -j): the TUN with the subnet's network address as /32, MTU = underlay − 28, up,
            // and one route for the whole overlay network through it.
            JsonElement link = JsonDocument.Parse(await a.Node.IpAsync("-j", "-d", "link", "show", "flannel0")).RootElement[0];
            Assert.Equal(1500 - 28, link.GetProperty("mtu").GetInt32());
            Assert.Equal("tun", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
            Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
            JsonElement address = JsonDocument.Parse(await a.Node.IpAsync("-j", "-4", "addr", "show", "dev", "flannel0")).RootElement[0].GetProperty("addr_info")[0];
            Assert.Equal(a.Network.Lease.Subnet!.Value.BaseAddress.ToString(), address.GetProperty("local").GetString());
            Assert.Equal(32, address.GetProperty("prefixlen").GetInt32());
            Assert.Contains(await Privileged.RoutesAsync(a.Node), r => r.Str("dst") == "198.19.0.0/16" && r.Str("dev") == "flannel0");
            Assert.Equal(1472, a.Network.Mtu);
            Assert.Equal("udp", a.Network.Lease.Attributes.BackendType);
            Assert.Equal(a.Node.Underlay, a.Network.Lease.Attributes.PublicIP);
        }

        foreach (LabAgent a in _agents)
        {
            foreach (LabAgent b in _agents.Where(b => b != a))
            {
                Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, $"ping {a.Node.PodAddress} -> {b.Node.PodAddress}");
                Assert.True(await a.Node.TcpTransferAsync(b.Node, a.Node.PodAddress!, b.Node.PodAddress!, TransferBytes, Ct), $"100 MB {a.Node.PodAddress} -> {b.Node.PodAddress} arrived intact");
            }
        }

        foreach (LabAgent a in _agents)
        {
            Assert.All(a.Network.Peers, p =>
            {
                Assert.Equal(PeerMode.Udp, p.Mode);
                Assert.True(p.IsHealthy, p.LastError);
                Assert.NotNull(p.Counters);
                Assert.True(p.Counters["tunnel.egress_bytes"] >= 2 * TransferBytes, $"egress bytes {p.Counters["tunnel.egress_bytes"]}");
                Assert.True(p.Counters["tunnel.ingress_bytes"] >= 2 * TransferBytes, $"ingress bytes {p.Counters["tunnel.ingress_bytes"]}");
                // Per peer: this node sent 100 MB to it and received 100 MB from it; nothing was dropped on its account.
                Assert.True(p.Counters["peer.egress_bytes"] >= TransferBytes, $"{p.Subnet}: egress bytes {p.Counters["peer.egress_bytes"]}");
                Assert.True(p.Counters["peer.ingress_bytes"] >= TransferBytes, $"{p.Subnet}: ingress bytes {p.Counters["peer.ingress_bytes"]}");
                Assert.True(p.Counters["peer.egress_bytes"] < p.Counters["tunnel.egress_bytes"], "a peer's share is less than the node's total (two peers)");
                Assert.True(p.Counters["peer.egress_packets"] > 0 && p.Counters["peer.ingress_packets"] > 0);
                Assert.Equal(0, p.Counters["peer.drops"]);
            });
            long[] egress = [.. a.Network.Peers.Select(p => p.Counters!["peer.egress_bytes"])];
            Assert.True(egress.Sum() <= a.Network.Peers[0].Counters!["tunnel.egress_bytes"], "the peers' egress adds up to at most the node's total");
        }
    }

    [Fact]
    public async Task Datagrams_from_a_non_peer_or_with_a_foreign_inner_source_are_dropped_and_counted()
    {
        await StartAsync();
        LabAgent target = _agents[0];
        LabAgent sender = _agents[2];
        IPAddress targetPod = target.Node.PodAddress!;
        IPAddress senderPod = sender.Node.PodAddress!;
        IPAddress otherPod = _agents[1].Node.PodAddress!;
        var targetEndpoint = new IPEndPoint(target.Node.Underlay, Port);

        // An underlay address on the sender's host that is no peer's.
        var stranger = IPAddress.Parse("198.18.1.200");
        await sender.Node.IpAsync("addr", "add", $"{stranger}/24", "dev", "eth0");

        using var metrics = new DropMetrics();
        using Socket listener = target.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(targetPod, 9999));
        using Socket fromStranger = sender.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fromStranger.Bind(new IPEndPoint(stranger, 0));
        using Socket fromPeer = sender.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fromPeer.Bind(new IPEndPoint(sender.Node.Underlay, 0));

        // 1. Outer source is no peer's, inner source is inside the sender's subnet.
        await fromStranger.SendToAsync(InnerUdp(senderPod, targetPod, 9999, "stranger"u8.ToArray()), targetEndpoint, Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(Drops(target, TunnelDropReason.UnknownSender) >= 1), "the non-peer datagram is counted as UnknownSender");

        // 2. Outer source is the peer's, inner source is another peer's pod (outside the sender's subnet).
        await fromPeer.SendToAsync(InnerUdp(otherPod, targetPod, 9999, "spoofed"u8.ToArray()), targetEndpoint, Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(Drops(target, TunnelDropReason.SourceNotInPeerSubnet) >= 1), "the spoofed inner source is counted as SourceNotInPeerSubnet");
        //    …and on the account of the peer it came from, not of the peer whose pod it claimed to be.
        PeerStatus senderStatus = target.Network.Peers.Single(p => p.Key == sender.Network.Lease.Key);
        PeerStatus otherStatus = target.Network.Peers.Single(p => p.Key == _agents[1].Network.Lease.Key);
        Assert.Equal(1, senderStatus.Counters!["peer.drops"]);
        Assert.Equal(0, otherStatus.Counters!["peer.drops"]);

        // 3. Control, sent last: the same injection, correct in every respect, is delivered. A UDP socket queues in
        //    arrival order, so if it is the first datagram the listener sees, neither earlier one was delivered.
        await fromPeer.SendToAsync(InnerUdp(senderPod, targetPod, 9999, "genuine"u8.ToArray()), targetEndpoint, Ct);
        byte[] buffer = new byte[2048];
        SocketReceiveFromResult received = await listener.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal("genuine", System.Text.Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes));
        Assert.Equal(senderPod, ((IPEndPoint)received.RemoteEndPoint).Address);
        Assert.Equal(0, listener.Available);

        // The same counters through System.Diagnostics.Metrics (meter Overlay.Encap).
        Assert.True(metrics.Read(TunnelDropReason.UnknownSender) >= 1);
        Assert.True(metrics.Read(TunnelDropReason.SourceNotInPeerSubnet) >= 1);
    }

    [Fact]
    public async Task With_the_sender_check_off_for_nat_any_outer_address_is_accepted_but_the_inner_source_is_still_checked()
    {
        await StartAsync(backend: "{\"Type\":\"udp\",\"CheckSenderAddress\":false}");
        LabAgent target = _agents[0];
        LabAgent sender = _agents[2];
        IPAddress targetPod = target.Node.PodAddress!;
        var targetEndpoint = new IPEndPoint(target.Node.Underlay, Port);
        var nat = IPAddress.Parse("198.18.1.201"); // as if the sender were behind a NAT with this address
        await sender.Node.IpAsync("addr", "add", $"{nat}/24", "dev", "eth0");
        using Socket listener = target.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(targetPod, 9999));
        using Socket fromNat = sender.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fromNat.Bind(new IPEndPoint(nat, 0));

        // An inner source in no peer's subnet is still dropped…
        await fromNat.SendToAsync(InnerUdp(IPAddress.Parse("198.19.255.77"), targetPod, 9999, "nobody"u8.ToArray()), targetEndpoint, Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(Drops(target, TunnelDropReason.UnknownSender) + Drops(target, TunnelDropReason.SourceNotInPeerSubnet) >= 1), "an inner source in no peer's subnet is dropped");

        // …while the sender's pod traffic from the unexpected outer address is delivered (and is the first datagram).
        await fromNat.SendToAsync(InnerUdp(sender.Node.PodAddress!, targetPod, 9999, "via-nat"u8.ToArray()), targetEndpoint, Ct);
        byte[] buffer = new byte[2048];
        int n = await listener.ReceiveAsync(buffer, SocketFlags.None, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal("via-nat", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task The_peer_table_follows_lease_events_while_traffic_flows()
    {
        await StartAsync();
        LabAgent a = _agents[0];
        LabAgent b = _agents[1];
        Task<bool> transfer = a.Node.TcpTransferAsync(b.Node, a.Node.PodAddress!, b.Node.PodAddress!, 256L << 20, Ct);

        // Peers come and go (flanneld-style leases, no BackendType) while the transfer runs.
        for (int i = 0; i < 10; i++)
        {
            Lease extra = await _registry!.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse($"198.18.1.{100 + i}") }), Ct);
            await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Any(p => p.Key == extra.Key && p.Mode == PeerMode.Udp)), $"{extra.Key} added");
            await _registry.ReleaseLeaseAsync(extra, Ct);
            await Privileged.EventuallyAsync(() => Task.FromResult(!a.Network.Peers.Any(p => p.Key == extra.Key)), $"{extra.Key} removed");
        }

        Assert.True(await transfer, "256 MB arrived intact while the peer table changed");
        Assert.Equal(2, a.Network.Peers.Count);
    }

    [Fact]
    public async Task A_data_path_that_dies_ends_the_network_run_with_the_engine_error()
    {
        await StartAsync();
        LabAgent a = _agents[0];
        Assert.False(a.Run.IsCompleted);

        // Someone deletes the TUN device under the running engine: its reads fail (EBADFD) and the network's run ends
        // with that error, so a host (OverlayAgent) stops and says why instead of idling with a dead tunnel.
        await a.Node.IpAsync("link", "del", "flannel0");
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => a.Run.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Contains("flannel0", e.Message, StringComparison.Ordinal);
        Assert.IsType<EncapException>(e.InnerException);

        // The other nodes are unaffected.
        Assert.True(await _agents[1].Node.PingUntilAsync(_agents[2].Node.PodAddress!, _agents[1].Node.PodAddress, cancellationToken: Ct) is not null);
    }

    [Fact]
    public async Task A_removed_peer_is_unreachable_at_once_and_gets_icmp_network_unreachable()
    {
        await StartAsync();
        LabAgent a = _agents[0];
        Lease gone = _agents[2].Network.Lease;
        IPAddress gonePod = _agents[2].Node.PodAddress!;
        Assert.True(await a.Node.PingUntilAsync(gonePod, a.Node.PodAddress, cancellationToken: Ct) is not null);

        // A flanneld udp node publishes no BackendType; such a lease is a udp peer too.
        Lease flanneld = await _registry!.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.1.99") }), Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Any(p => p.Key == flanneld.Key && p.Mode == PeerMode.Udp)), "a lease without BackendType becomes a udp peer");

        await _agents[2].DisposeAsync();
        _agents.RemoveAt(2);
        await _registry.ReleaseLeaseAsync(gone, Ct);
        foreach (LabAgent agent in _agents)
        {
            await Privileged.EventuallyAsync(() => Task.FromResult(!agent.Network.Peers.Any(p => p.Key == gone.Key)), $"{gone.Key} removed on {agent.Node.Namespace}");
        }

        // Unreachable: no echo reply. (No ICMP error about an ICMP packet either: flannel's suppression rule.)
        Assert.Null(await a.Node.PingAsync(gonePod, a.Node.PodAddress, cancellationToken: Ct));
        Assert.True(Drops(a, TunnelDropReason.NoRoute) >= 1);

        // A TCP connection attempt gets ICMP network-unreachable (from the TUN address) at once: connect fails with
        // ENETUNREACH instead of waiting for SYN retransmissions to time out.
        long icmpBefore = Counter(a, "tunnel.icmp_unreachable");
        using Socket client = a.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Bind(new IPEndPoint(a.Node.PodAddress!, 0));
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(new IPEndPoint(gonePod, 5201), Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct));
        Assert.Equal(SocketError.NetworkUnreachable, refused.SocketErrorCode);
        Assert.True(Counter(a, "tunnel.icmp_unreachable") > icmpBefore, $"ICMP errors written: {Counter(a, "tunnel.icmp_unreachable")}");

        // The remaining peer is unaffected.
        Assert.True(await a.Node.PingUntilAsync(_agents[1].Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null);
    }

    [Fact]
    public async Task On_the_wire_each_datagram_is_exactly_one_inner_ipv4_packet_between_the_pods()
    {
        await StartAsync();
        LabAgent a = _agents[0];
        LabAgent b = _agents[1];
        string pcap = Path.Combine(Path.GetTempPath(), $"ovl-udp-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");

        // The engine sends TCP segments with UDP GSO; a veth passes such a super-datagram on unsegmented, so a tap
        // on it would see one buffer of many datagrams. With gso_max_segs 1 the kernel segments in software before
        // the device, as a NIC does on a real wire, and the capture holds the datagrams as they would be sent.
        await a.Node.IpAsync("link", "set", "eth0", "gso_max_segs", "1");
        await b.Node.IpAsync("link", "set", "eth0", "gso_max_segs", "1");
        try
        {
            const int Frames = 300;
            using var capture = new Process
            {
                StartInfo = new ProcessStartInfo("ip", ["netns", "exec", a.Node.Namespace, "tshark", "-n", "-i", "eth0", "-f", $"udp port {Port}", "-c", Frames.ToString(CultureInfo.InvariantCulture), "-w", pcap])
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                },
            };
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var errors = new System.Text.StringBuilder();
            capture.ErrorDataReceived += (_, e) =>
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }

                if (e.Data?.Contains("Capturing on", StringComparison.Ordinal) == true)
                {
                    started.TrySetResult();
                }
            };
            capture.Start();
            capture.BeginErrorReadLine();
            try
            {
                await Task.WhenAny(started.Task, capture.WaitForExitAsync(Ct)).WaitAsync(TimeSpan.FromSeconds(60), Ct);
                Assert.True(started.Task.IsCompleted, $"tshark did not start: {errors}");

                // Rounds of ICMP and a little TCP (TSO super-packets on the TUN, segmented and sent with UDP GSO)
                // until the capture has its frames.
                for (int i = 0; i < 200 && !capture.HasExited; i++)
                {
                    Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null);
                    Assert.True(await a.Node.TcpTransferAsync(b.Node, a.Node.PodAddress!, b.Node.PodAddress!, 32 << 10, Ct));
                }

                await capture.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            }
            finally
            {
                if (!capture.HasExited)
                {
                    capture.Kill(entireProcessTree: true);
                }
            }

            // Dissect with udp.port 8285 decoded as IP: outer ip / udp / inner ip.
            (int exit, string fields, string stderr) = await Shell.TryRunAsync("tshark",
                ["-n", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-d", $"udp.port=={Port},ip", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;",
                 "-e", "ip.src", "-e", "ip.dst", "-e", "ip.len", "-e", "ip.version", "-e", "ip.checksum.status", "-e", "udp.length", "-e", "ip.proto", "-e", "_ws.malformed", "-e", "_ws.expert"], cancellationToken: Ct);
            Assert.True(exit == 0, stderr);
            string[] lines = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Frames, lines.Length);
            var pods = _agents.Select(x => x.Network.Lease.Subnet!.Value).ToArray();
            var underlay = _agents.Select(x => x.Node.Underlay.ToString()).ToHashSet();
            bool sawIcmp = false, sawTcp = false;
            foreach (string line in lines)
            {
                string[] f = line.Split('|');
                string[] src = f[0].Split(';'), dst = f[1].Split(';'), len = f[2].Split(';'), version = f[3].Split(';'), checksum = f[4].Split(';'), udpLength = f[5].Split(';'), proto = f[6].Split(';');
                Assert.True(src.Length == 2 && dst.Length == 2, $"two IPv4 layers expected: {line}");
                Assert.Contains(src[0], underlay);
                Assert.Contains(dst[0], underlay);
                Assert.Equal("17", proto[0]);
                Assert.Equal(["4", "4"], version);
                Assert.Contains(pods, p => p.Contains(IPAddress.Parse(src[1])));
                Assert.Contains(pods, p => p.Contains(IPAddress.Parse(dst[1])));
                Assert.Equal("1", checksum[1]); // inner header checksum verified good (0 bad, 1 good, 2 unverified)
                // The UDP payload is the inner packet and nothing else: inner total length = UDP length − 8.
                Assert.Equal(int.Parse(udpLength[0], CultureInfo.InvariantCulture) - 8, int.Parse(len[1], CultureInfo.InvariantCulture));
                Assert.True(string.IsNullOrEmpty(f[7]), $"malformed: {line}");
                sawIcmp |= proto[1] == "1";
                sawTcp |= proto[1] == "6";
            }

            Assert.True(sawIcmp && sawTcp, "the capture holds both the pods' ICMP and their TCP");
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public async Task Shutdown_removes_the_tun_its_route_and_the_socket_and_stops_every_engine_thread()
    {
        await StartAsync();
        Assert.NotEmpty(EngineThreads());
        LabAgent[] agents = [.. _agents];
        foreach (LabAgent agent in agents)
        {
            Assert.True(await Socket8285BoundAsync(agent.Node));
        }

        foreach (LabAgent agent in agents)
        {
            _agents.Remove(agent);
            await agent.DisposeAsync();
            await agent.Network.DisposeAsync(); // idempotent
        }

        foreach (LabAgent agent in agents)
        {
            string links = await agent.Node.IpAsync("-j", "link", "show");
            Assert.DoesNotContain("flannel0", links, StringComparison.Ordinal);
            Assert.DoesNotContain(await Privileged.RoutesAsync(agent.Node), r => r.Str("dst") == "198.19.0.0/16");
            Assert.False(await Socket8285BoundAsync(agent.Node));
        }

        Assert.Empty(EngineThreads());
    }

    private static async Task<bool> Socket8285BoundAsync(LabNode node)
    {
        var (_, stdout, _) = await node.ExecAsync(["ss", "-H", "-u", "-a", "-n", $"sport = :{Port}"], Ct);
        return stdout.Contains($":{Port}", StringComparison.Ordinal);
    }

    /// <summary>This process's engine threads (Overlay.Encap names them ovl-q&lt;n&gt;, one per TUN queue).</summary>
    private static List<string> EngineThreads() =>
        [.. Directory.GetDirectories("/proc/self/task")
            .Select(t => { try { return File.ReadAllText(Path.Combine(t, "comm")).Trim(); } catch (IOException) { return ""; } })
            .Where(n => n.StartsWith("ovl-q", StringComparison.Ordinal))];

    private static long Counter(LabAgent agent, string name) => agent.Network.Peers is { Count: > 0 } peers ? peers[0].Counters?[name] ?? 0 : 0;

    private static long Drops(LabAgent agent, TunnelDropReason reason) => Counter(agent, "tunnel.drops." + reason);

    /// <summary>An IPv4/UDP packet as a pod would send it (header checksum set, UDP checksum 0).</summary>
    private static byte[] InnerUdp(IPAddress source, IPAddress destination, ushort port, byte[] payload)
    {
        byte[] p = new byte[28 + payload.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), 0x4000);
        p[8] = 64;
        p[9] = 17;
        source.GetAddressBytes().CopyTo(p, 12);
        destination.GetAddressBytes().CopyTo(p, 16);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(i));
        }

        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), (ushort)~sum);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), port);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(p, 28);
        return p;
    }

    /// <summary>Reads <c>overlay.encap.tunnel.drops</c> from the <c>Overlay.Encap</c> meter, summed over this process's tunnels.</summary>
    private sealed class DropMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _values = new(StringComparer.Ordinal);

        public DropMetrics()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == UdpTunnel.MeterName && instrument.Name == "overlay.encap.tunnel.drops")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "reason" && tag.Value is string reason)
                    {
                        _values[reason] = _values.GetValueOrDefault(reason) + value;
                    }
                }
            });
            _listener.Start();
        }

        public long Read(TunnelDropReason reason)
        {
            _values.Clear();
            _listener.RecordObservableInstruments();
            return _values.GetValueOrDefault(reason.ToString());
        }

        public void Dispose() => _listener.Dispose();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (LabAgent agent in _agents)
        {
            await agent.DisposeAsync();
        }

        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
