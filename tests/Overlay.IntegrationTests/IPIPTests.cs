using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Overlay.Backends;
using Overlay.Backends.IPIP;
using Overlay.Encap;
using Overlay.Lab;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>
/// The ipip backend in a namespace lab. This machine's kernel has no ipip, so the registration's probe picks the
/// user-space data path (a TUN and a raw protocol-4 socket); a kernel with ipip would run the same tests with the
/// kernel's device when <c>DataPath</c> is <c>Auto</c>, which is why the tests force nothing.
/// </summary>
[Trait("Category", Privileged.Category)]
[Collection(EngineThreadsCollection.Name)]
public sealed class IPIPTests : IAsyncLifetime
{
    private const long TransferBytes = 100L << 20;
    private const string Device = IPIPBackendOptions.DefaultDeviceName;

    private readonly List<LabAgent> _agents = [];
    private NamespaceLab? _lab;
    private InMemorySubnetRegistry? _registry;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task StartAsync(LabOptions lab, string backend = "{\"Type\":\"ipip\"}", ReconcileOptions? reconcile = null, IPIPDataPath dataPath = IPIPDataPath.Auto)
    {
        Privileged.Require();
        Assert.SkipUnless(File.Exists("/dev/net/tun"), "needs /dev/net/tun (CONFIG_TUN)");
        _lab = await NamespaceLab.CreateAsync(lab, Ct);
        _registry = new InMemorySubnetRegistry(NetworkConfig.Parse("{\"Network\":\"198.19.0.0/16\",\"Backend\":" + backend + "}"));
        foreach (LabNode node in _lab.Nodes)
        {
            _agents.Add(await LabAgent.StartAsync(node, _registry, new IPIPBackend(new IPIPBackendOptions { Queues = 2, DataPath = dataPath }), reconcile, cancellationToken: Ct));
        }

        foreach (LabAgent agent in _agents)
        {
            await Privileged.EventuallyAsync(() => Task.FromResult(agent.Network.Peers.Count(p => p.IsHealthy && p.Mode is PeerMode.IPIP or PeerMode.Direct) == _agents.Count - 1), $"{agent.Node.Namespace} has every peer");
        }
    }

    [Fact]
    public async Task Every_pair_connects_with_ping_and_100_MB_of_tcp_through_a_router()
    {
        await StartAsync(new LabOptions { Nodes = 2, RoutedNodes = 1, IPv6 = false });
        bool userSpace = !File.Exists("/sys/module/ipip/initstate") && !Directory.Exists("/sys/module/ipip");
        foreach (LabAgent a in _agents)
        {
            // The kernel's view (ip -j): flannel.ipip (a TUN here) with the subnet's network address as /32, MTU = underlay − 20,
            // up, and per peer the route via its public address through the device with onlink, protocol 111.
            JsonElement link = JsonDocument.Parse(await a.Node.IpAsync("-j", "-d", "link", "show", Device)).RootElement[0];
            Assert.Equal(1500 - 20, link.GetProperty("mtu").GetInt32());
            Assert.Equal(userSpace ? "tun" : "ipip", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
            Assert.Contains("UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
            JsonElement address = JsonDocument.Parse(await a.Node.IpAsync("-j", "-4", "addr", "show", "dev", Device)).RootElement[0].GetProperty("addr_info")[0];
            Assert.Equal(a.Network.Lease.Subnet!.Value.BaseAddress.ToString(), address.GetProperty("local").GetString());
            Assert.Equal(32, address.GetProperty("prefixlen").GetInt32());
            IReadOnlyList<JsonElement> routes = await Privileged.RoutesAsync(a.Node);
            foreach (LabAgent b in _agents.Where(b => b != a))
            {
                Assert.Contains(routes, r => r.Str("dst") == b.Network.Lease.Subnet.ToString() && r.Str("gateway") == b.Node.Underlay.ToString()
                    && r.Str("dev") == Device && r.Str("protocol") == "111" && r.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "onlink"));
            }

            Assert.Equal(1480, a.Network.Mtu);
            Assert.Equal("ipip", a.Network.Lease.Attributes.BackendType);
            Assert.Null(a.Network.Lease.Attributes.BackendData);
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
                Assert.Equal(PeerMode.IPIP, p.Mode);
                Assert.True(p.IsHealthy, p.LastError);
                if (userSpace)
                {
                    Assert.EndsWith("user-space data path", p.Reason, StringComparison.Ordinal);
                    Assert.True(p.Counters!["peer.egress_bytes"] >= TransferBytes, $"{p.Subnet}: egress {p.Counters["peer.egress_bytes"]}");
                    Assert.True(p.Counters["peer.ingress_bytes"] >= TransferBytes, $"{p.Subnet}: ingress {p.Counters["peer.ingress_bytes"]}");
                    Assert.Equal(0, p.Counters["peer.drops"]);
                }
            });
        }
    }

    [Fact]
    public async Task DirectRouting_is_direct_on_the_segment_encapsulated_for_a_routed_peer_and_flips_with_the_underlay()
    {
        await StartAsync(new LabOptions { Nodes = 3, RoutedNodes = 1, IPv6 = false }, "{\"Type\":\"ipip\",\"DirectRouting\":true}", new ReconcileOptions { FullReconcileInterval = null });
        LabAgent a = _agents[0], b = _agents[1], c = _agents[2], routed = _agents[3];
        PeerStatus toB = a.Network.Peers.Single(p => p.Key == b.Network.Lease.Key);
        PeerStatus toRouted = a.Network.Peers.Single(p => p.Key == routed.Network.Lease.Key);
        Assert.Equal(PeerMode.Direct, toB.Mode);
        Assert.StartsWith("direct, ", toB.Reason, StringComparison.Ordinal);
        Assert.Equal(PeerMode.IPIP, toRouted.Mode);
        Assert.Contains("router", toRouted.Reason, StringComparison.Ordinal);
        IReadOnlyList<JsonElement> routes = await Privileged.RoutesAsync(a.Node);
        Assert.Contains(routes, r => r.Str("dst") == b.Network.Lease.Subnet.ToString() && r.Str("gateway") == b.Node.Underlay.ToString() && r.Str("dev") == "eth0" && r.Str("protocol") == "111");
        Assert.Contains(routes, r => r.Str("dst") == routed.Network.Lease.Subnet.ToString() && r.Str("gateway") == routed.Node.Underlay.ToString() && r.Str("dev") == Device);
        foreach (LabAgent to in new[] { b, routed })
        {
            Assert.True(await a.Node.PingUntilAsync(to.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, $"ping {to.Node.PodAddress}");
        }

        // The peer's underlay address is now reached through node 3 (which forwards): no longer on-link.
        string key = b.Network.Lease.Key;
        await a.Node.IpAsync("route", "add", $"{b.Node.Underlay}/32", "via", c.Node.Underlay.ToString(), "dev", "eth0");
        await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Single(p => p.Key == key) is { Mode: PeerMode.IPIP } s
            && s.Reason.Contains($"reached via router {c.Node.Underlay}", StringComparison.Ordinal)), "the peer turns encapsulated with the reason");
        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(a.Node)).Any(r => r.Str("dst") == b.Network.Lease.Subnet.ToString() && r.Str("dev") == Device), "its route goes through flannel.ipip");
        Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, "encapsulated");

        // And back.
        await a.Node.IpAsync("route", "del", $"{b.Node.Underlay}/32");
        await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Single(p => p.Key == key).Mode == PeerMode.Direct), "the peer turns direct again");
        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(a.Node)).Any(r => r.Str("dst") == b.Network.Lease.Subnet.ToString() && r.Str("dev") == "eth0"), "its route is direct again");
        Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, "direct");
    }

    [Fact]
    public async Task Packets_from_a_non_peer_or_with_a_foreign_inner_source_are_dropped_and_counted()
    {
        // The sender check belongs to the user-space data path: forced, so a kernel with ipip runs it too.
        await StartAsync(new LabOptions { Nodes = 3, IPv6 = false }, dataPath: IPIPDataPath.UserSpace);
        Assert.True(UserSpace(_agents[0]), "the forced user-space data path");
        LabAgent target = _agents[0], sender = _agents[2];
        IPAddress targetPod = target.Node.PodAddress!, senderPod = sender.Node.PodAddress!, otherPod = _agents[1].Node.PodAddress!;
        var stranger = IPAddress.Parse("198.18.1.200");
        await sender.Node.IpAsync("addr", "add", $"{stranger}/24", "dev", "eth0");
        using Socket listener = target.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(targetPod, 9999));
        // Whole IP-in-IP packets, outer header included, from a raw IPPROTO_RAW socket in the sender's namespace.
        using Socket raw = sender.Node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
        var to = new IPEndPoint(target.Node.Underlay, 0);

        await raw.SendToAsync(IPIP(stranger, target.Node.Underlay, InnerUdp(senderPod, targetPod, "stranger")), to, Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(Drops(target, TunnelDropReason.UnknownSender) >= 1), "the non-peer packet is counted as UnknownSender");
        await raw.SendToAsync(IPIP(sender.Node.Underlay, target.Node.Underlay, InnerUdp(otherPod, targetPod, "spoofed")), to, Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(Drops(target, TunnelDropReason.SourceNotInPeerSubnet) >= 1), "the foreign inner source is counted as SourceNotInPeerSubnet");
        Assert.Equal(1, target.Network.Peers.Single(p => p.Key == sender.Network.Lease.Key).Counters!["peer.drops"]);

        // Control, sent last: the correct packet is the first one the listener receives.
        await raw.SendToAsync(IPIP(sender.Node.Underlay, target.Node.Underlay, InnerUdp(senderPod, targetPod, "genuine")), to, Ct);
        byte[] buffer = new byte[2048];
        int n = await listener.ReceiveAsync(buffer, SocketFlags.None, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal("genuine", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(0, listener.Available);
    }

    [Fact]
    public async Task A_removed_peer_is_unreachable()
    {
        await StartAsync(new LabOptions { Nodes = 2, IPv6 = false });
        LabAgent a = _agents[0], b = _agents[1];
        Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null);
        await _registry!.ReleaseLeaseAsync(b.Network.Lease, Ct);
        await Privileged.EventuallyAsync(() => Task.FromResult(a.Network.Peers.Count == 0), "the peer is gone");
        Assert.DoesNotContain(await Privileged.RoutesAsync(a.Node), r => r.Str("dst") == b.Network.Lease.Subnet.ToString());
        Assert.Null(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, attempts: 3, timeout: TimeSpan.FromSeconds(1), cancellationToken: Ct));
    }

    [Fact]
    public async Task The_device_deleted_by_hand_comes_back_with_its_routes()
    {
        await StartAsync(new LabOptions { Nodes = 2, IPv6 = false });
        LabAgent a = _agents[0], b = _agents[1];
        int before = JsonDocument.Parse(await a.Node.IpAsync("-j", "link", "show", Device)).RootElement[0].GetProperty("ifindex").GetInt32();
        await a.Node.IpAsync("link", "del", Device);
        await Privileged.EventuallyAsync(async () =>
        {
            (int exit, string output, _) = await a.Node.ExecAsync(["ip", "-j", "link", "show", Device], Ct);
            return exit == 0 && JsonDocument.Parse(output).RootElement[0].GetProperty("ifindex").GetInt32() != before;
        }, "flannel.ipip is back");
        await Privileged.EventuallyAsync(async () => (await Privileged.RoutesAsync(a.Node)).Any(r => r.Str("dst") == b.Network.Lease.Subnet.ToString() && r.Str("dev") == Device), "its peer route is back");
        Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null, "traffic flows again");
        Assert.True(await a.Node.TcpTransferAsync(b.Node, a.Node.PodAddress!, b.Node.PodAddress!, 8L << 20, Ct));
    }

    [Fact]
    public async Task Tshark_on_the_underlay_sees_ipv4_protocol_4_with_the_pod_packet_inside_unchanged()
    {
        await StartAsync(new LabOptions { Nodes = 2, IPv6 = false });
        LabAgent a = _agents[0], b = _agents[1];
        string pcap = Path.Combine(Path.GetTempPath(), $"ovl-ipip-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        try
        {
            const int Frames = 40;
            using var capture = new Process
            {
                StartInfo = new ProcessStartInfo("ip", ["netns", "exec", a.Node.Namespace, "tshark", "-n", "-i", "eth0", "-f", "ip proto 4", "-c", Frames.ToString(CultureInfo.InvariantCulture), "-w", pcap])
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                },
            };
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            capture.ErrorDataReceived += (_, e) =>
            {
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
                Assert.True(started.Task.IsCompleted, "tshark started");
                for (int i = 0; i < 200 && !capture.HasExited; i++)
                {
                    Assert.True(await a.Node.PingUntilAsync(b.Node.PodAddress!, a.Node.PodAddress, cancellationToken: Ct) is not null);
                    Assert.True(await a.Node.TcpTransferAsync(b.Node, a.Node.PodAddress!, b.Node.PodAddress!, 16 << 10, Ct));
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

            (int exit, string fields, string stderr) = await Shell.TryRunAsync("tshark",
                ["-n", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;",
                 "-e", "ip.src", "-e", "ip.dst", "-e", "ip.len", "-e", "ip.proto", "-e", "ip.ttl", "-e", "ip.flags.df", "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "icmp.checksum.status"], cancellationToken: Ct);
            Assert.True(exit == 0, stderr);
            string[] lines = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(Frames, lines.Length);
            IPNetwork[] pods = [.. _agents.Select(x => x.Network.Lease.Subnet!.Value)];
            HashSet<string> underlay = [.. _agents.Select(x => x.Node.Underlay.ToString())];
            bool sawIcmp = false, sawTcp = false;
            foreach (string line in lines)
            {
                string[] f = line.Split('|');
                string[] src = f[0].Split(';'), dst = f[1].Split(';'), len = f[2].Split(';'), proto = f[3].Split(';'), ttl = f[4].Split(';'), df = f[5].Split(';'), checksum = f[6].Split(';');
                Assert.True(src.Length == 2 && dst.Length == 2, $"two IPv4 layers expected: {line}");
                Assert.Contains(src[0], underlay);
                Assert.Contains(dst[0], underlay);
                Assert.Equal("4", proto[0]);                                  // IP in IP
                Assert.Contains(pods, p => p.Contains(IPAddress.Parse(src[1])));
                Assert.Contains(pods, p => p.Contains(IPAddress.Parse(dst[1])));
                Assert.Equal(int.Parse(len[0], CultureInfo.InvariantCulture) - 20, int.Parse(len[1], CultureInfo.InvariantCulture)); // nothing between the headers
                Assert.Equal(ttl[1], ttl[0]);                                 // ttl inherit
                Assert.Equal(df[1], df[0]);                                   // pmtudisc off: DF inherited
                Assert.Equal(["1", "1"], checksum);                           // both IPv4 header checksums good
                sawTcp |= proto[1] == "6";
                sawIcmp |= proto[1] == "1";
                if (f[7].Length > 0)
                {
                    Assert.Equal("1", f[7]);                                  // inner TCP checksum good: the pod's packet, unchanged
                }

                if (f[8].Length > 0)
                {
                    Assert.Equal("1", f[8]);
                }
            }

            Assert.True(sawIcmp && sawTcp, "ICMP and TCP both captured");
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public async Task The_kernel_data_path_probe_says_why_this_kernel_cannot_run_it()
    {
        Privileged.Require();
        _lab = await NamespaceLab.CreateAsync(new LabOptions { Nodes = 1, IPv6 = false }, Ct);
        _registry = new InMemorySubnetRegistry(NetworkConfig.Parse("{\"Network\":\"198.19.0.0/16\",\"Backend\":{\"Type\":\"ipip\"}}"));
        LabNode node = _lab.Nodes[0];
        var backend = new IPIPBackend(new IPIPBackendOptions { DataPath = IPIPDataPath.Kernel });

        // The oracle: can iproute2 create an ipip device in the node's namespace?
        (int exit, _, string error) = await node.ExecAsync(["ip", "link", "add", "ovlprobe", "type", "ipip", "local", node.Underlay.ToString()], Ct);
        if (exit == 0)
        {
            await node.IpAsync("link", "del", "ovlprobe");
            _agents.Add(await LabAgent.StartAsync(node, _registry, backend, cancellationToken: Ct));
            JsonElement link = JsonDocument.Parse(await node.IpAsync("-j", "-d", "link", "show", Device)).RootElement[0];
            JsonElement info = link.GetProperty("linkinfo");
            Assert.Equal("ipip", info.GetProperty("info_kind").GetString());
            Assert.Equal(node.Underlay.ToString(), info.GetProperty("info_data").GetProperty("local").GetString());
            Assert.Equal(1480, link.GetProperty("mtu").GetInt32());
            return;
        }

        // This machine: no ipip. The registration fails permanently, before a lease is taken, with the kernel's answer.
        Assert.Contains("Unknown device type", error, StringComparison.OrdinalIgnoreCase);
        NetworkRegistrationException ex = await Assert.ThrowsAsync<NetworkRegistrationException>(() => LabAgent.StartAsync(node, _registry, backend, cancellationToken: Ct));
        Assert.False(ex.IsTransient);
        Assert.Contains("EOPNOTSUPP", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no ipip", ex.Message, StringComparison.Ordinal);
        Assert.True(Assert.IsType<Overlay.Netlink.NetlinkException>(ex.InnerException).IsNotSupported);
        (int shown, _, _) = await node.ExecAsync(["ip", "link", "show", Device], Ct);
        Assert.NotEqual(0, shown);   // nothing left behind
    }

    private static bool UserSpace(LabAgent agent) => agent.Network.Peers.All(p => p.Reason.EndsWith("user-space data path", StringComparison.Ordinal));

    private static long Drops(LabAgent agent, TunnelDropReason reason) =>
        agent.Network.Peers is [PeerStatus first, ..] ? first.Counters?.GetValueOrDefault("tunnel.drops." + reason) ?? 0 : 0;

    private static byte[] IPIP(IPAddress outerSource, IPAddress outerDestination, byte[] inner)
    {
        byte[] packet = new byte[20 + inner.Length];
        Overlay.Encap.Internal.RawIPTransport.WriteOuterHeader(packet, inner,
            System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(IPv4Header.ToUInt32(outerSource)), IPv4Header.ToUInt32(outerDestination));
        inner.CopyTo(packet, 20);
        return packet;
    }

    /// <summary>An IPv4/UDP packet as a pod would send it (header checksum set, UDP checksum 0).</summary>
    private static byte[] InnerUdp(IPAddress source, IPAddress destination, string text)
    {
        byte[] payload = System.Text.Encoding.ASCII.GetBytes(text);
        byte[] p = new byte[28 + payload.Length];
        IPv4Header.Write(p, (ushort)p.Length, 1, 0, 64, IPProtocols.Udp, IPv4Header.ToUInt32(source), IPv4Header.ToUInt32(destination));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 1000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 9999);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(p, 28);
        return p;
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
