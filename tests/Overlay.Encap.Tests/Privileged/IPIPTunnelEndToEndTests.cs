using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Overlay.Encap.Tests.Infrastructure;
using Overlay.Testing;

namespace Overlay.Encap.Tests.Privileged;

/// <summary>Two namespaces joined by a veth pair, the engine's raw IP-in-IP transport in each (a kernel without ipip needs nothing else).</summary>
[Trait("Category", Testing.Privileged.Category)]
public sealed class IPIPTunnelEndToEndTests
{
    private const long TransferBytes = 100L * 1024 * 1024;

    private sealed class Node : IAsyncDisposable
    {
        public required IReadOnlyList<TunDevice> Queues { get; init; }
        public required IPIPTunnel Tunnel { get; init; }
        public required Task Running { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Tunnel.DisposeAsync();
            await Running.ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (TunDevice queue in Queues)
            {
                queue.Dispose();
            }
        }
    }

    private static Node Start(TestNamespace ns, string underlay, string tunIp, int queues = 1)
    {
        (List<TunDevice> tun, IPIPTunnel tunnel) = ns.Run(() =>
        {
            List<TunDevice> t =
            [
                TunDevice.Create(new TunDeviceOptions
                {
                    Name = "ovlipip0",
                    VirtioNetHeader = true,
                    Offloads = TunOffloads.Checksum | TunOffloads.TcpSegmentationIPv4,
                    MultiQueue = queues > 1,
                }),
            ];
            for (int q = 1; q < queues; q++)
            {
                t.Add(t[0].AttachQueue());
            }

            return (t, new IPIPTunnel(t, new IPIPTunnelOptions { LocalAddress = IPAddress.Parse(underlay), MaxPacketSize = 1480 }));
        });

        // As flannel's ipip backend: the /32 on the device, MTU = underlay − 20, routes per peer.
        ns.Ip("addr", "add", $"{tunIp}/32", "dev", "ovlipip0");
        ns.Ip("link", "set", "ovlipip0", "mtu", "1480", "up");
        ns.Ip("route", "add", "198.19.0.0/16", "dev", "ovlipip0");
        Task running = tunnel.RunAsync(TestContext.Current.CancellationToken);
        return new Node { Queues = tun, Tunnel = tunnel, Running = running };
    }

    private static void Connect(TestNamespace a, TestNamespace b)
    {
        a.Ip("link", "add", "ovla", "type", "veth", "peer", "name", "ovlb", "netns", b.Name);
        a.Ip("addr", "add", "198.18.0.1/24", "dev", "ovla");
        a.Ip("link", "set", "ovla", "up");
        b.Ip("addr", "add", "198.18.0.2/24", "dev", "ovlb");
        b.Ip("addr", "add", "198.18.0.3/24", "dev", "ovlb");
        b.Ip("link", "set", "ovlb", "up");
    }

    private static async Task<(Node A, Node B)> StartPairAsync(TestNamespace nsA, TestNamespace nsB, int queues = 1)
    {
        Connect(nsA, nsB);
        Node a = Start(nsA, "198.18.0.1", "198.19.1.1", queues);
        Node b = Start(nsB, "198.18.0.2", "198.19.2.1", queues);
        a.Tunnel.Peers.Set(IPNetwork.Parse("198.19.2.0/24"), new IPEndPoint(IPAddress.Parse("198.18.0.2"), 0));
        b.Tunnel.Peers.Set(IPNetwork.Parse("198.19.1.0/24"), new IPEndPoint(IPAddress.Parse("198.18.0.1"), 0));
        await Task.CompletedTask;
        return (a, b);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Ping_and_100_MB_of_tcp_cross_the_raw_ipip_tunnel_with_the_same_sha256(int queues)
    {
        Testing.Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var nsA = TestNamespace.Create(loopbackUp: true);
        using var nsB = TestNamespace.Create(loopbackUp: true);
        (Node a, Node b) = await StartPairAsync(nsA, nsB, queues);
        await using (a)
        await using (b)
        {
            Assert.False(a.Tunnel.UsesSegmentationOffload);
            Assert.True(a.Tunnel.CoalescesTcp);
            (int exit, string output, _) = nsA.Exec("ping", "-c", "3", "-i", "0.2", "-W", "5", "198.19.2.1");
            Assert.True(exit == 0, output);
            Assert.Contains("3 received", output, StringComparison.Ordinal);

            using Socket listener = nsB.Run(() =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(IPAddress.Parse("198.19.2.1"), 5001));
                s.Listen();
                return s;
            });
            using Socket client = nsA.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            Task<Socket> accept = listener.AcceptAsync(ct).AsTask();
            await client.ConnectAsync(new IPEndPoint(IPAddress.Parse("198.19.2.1"), 5001), ct);
            using Socket server = await accept;

            Task<byte[]> send = Task.Run(async () =>
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] chunk = new byte[256 * 1024];
                for (long sent = 0; sent < TransferBytes; sent += chunk.Length)
                {
                    RandomNumberGenerator.Fill(chunk);
                    hash.AppendData(chunk);
                    await client.SendAsync(chunk, SocketFlags.None, ct);
                }

                client.Shutdown(SocketShutdown.Send);
                return hash.GetHashAndReset();
            }, ct);

            using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[256 * 1024];
            long total = 0;
            int n;
            while ((n = await server.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            {
                received.AppendData(buffer, 0, n);
                total += n;
            }

            Assert.Equal(TransferBytes, total);
            Assert.Equal(Convert.ToHexString(await send), Convert.ToHexString(received.GetHashAndReset()));
            TunnelStatistics sb = b.Tunnel.GetStatistics();
            Assert.True(sb.IngressBytes > TransferBytes, $"ingress {sb.IngressBytes}");
            Assert.Equal(0, sb.Drops[TunnelDropReason.BadOuterHeader] + sb.Drops[TunnelDropReason.UnknownSender] + sb.Drops[TunnelDropReason.TunWriteFailed]);
            Assert.True(sb.TunWrites * 2 < sb.IngressPackets, $"{sb.TunWrites} TUN writes for {sb.IngressPackets} packets (coalescing)");
            await a.Tunnel.DisposeAsync();
            await b.Tunnel.DisposeAsync();
            long[] allocated = [.. a.Tunnel.GetLoopAllocatedBytes(), .. b.Tunnel.GetLoopAllocatedBytes()];
            Assert.All(allocated, bytes => Assert.True(bytes is -2 or (>= 0 and < 4096), string.Join(",", allocated)));
        }
    }

    [Fact]
    public async Task Packets_from_a_non_peer_or_with_a_foreign_inner_source_are_dropped_and_counted()
    {
        Testing.Privileged.Require();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var nsA = TestNamespace.Create(loopbackUp: true);
        using var nsB = TestNamespace.Create(loopbackUp: true);
        (Node a, Node b) = await StartPairAsync(nsA, nsB);
        await using (a)
        await using (b)
        {
            // IP-in-IP packets built whole (outer header included) and sent from B with a raw IPPROTO_RAW socket.
            using Socket raw = nsB.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw));
            var target = new IPEndPoint(IPAddress.Parse("198.18.0.1"), 0);
            byte[] Encapsulate(string outerSource, byte[] inner)
            {
                byte[] packet = new byte[20 + inner.Length];
                Internal.RawIPTransport.WriteOuterHeader(packet, inner, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Packets.Ip(outerSource)), Packets.Ip("198.18.0.1"));
                inner.CopyTo(packet, 20);
                return packet;
            }

            await raw.SendToAsync(Encapsulate("198.18.0.3", Packets.Udp("198.19.2.5", "198.19.1.1", 1000, 2000, [1, 2, 3])), target, ct);
            await raw.SendToAsync(Encapsulate("198.18.0.2", Packets.Udp("198.19.7.5", "198.19.1.1", 1000, 2000, [1, 2, 3])), target, ct);

            TunnelStatistics stats = a.Tunnel.GetStatistics();
            for (int i = 0; i < 400 && stats.Drops[TunnelDropReason.UnknownSender] + stats.Drops[TunnelDropReason.SourceNotInPeerSubnet] < 2; i++)
            {
                await Task.Delay(50, ct);
                stats = a.Tunnel.GetStatistics();
            }

            Assert.Equal(1, stats.Drops[TunnelDropReason.UnknownSender]);
            Assert.Equal(1, stats.Drops[TunnelDropReason.SourceNotInPeerSubnet]);
            Assert.Equal(0, stats.IngressPackets);
            Assert.Equal(1, a.Tunnel.Peers.GetStatistics(IPNetwork.Parse("198.19.2.0/24"))!.Drops);
        }
    }

    [Fact]
    public async Task Tshark_sees_ipv4_protocol_4_whose_inner_packet_is_the_pod_packet()
    {
        Testing.Privileged.Require();
        Pcap.RequireTshark();
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var nsA = TestNamespace.Create(loopbackUp: true);
        using var nsB = TestNamespace.Create(loopbackUp: true);
        (Node a, Node b) = await StartPairAsync(nsA, nsB);
        await using (a)
        await using (b)
        {
            string pcap = Path.Combine(Path.GetTempPath(), $"ovl-encap-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
            try
            {
                Task<(int ExitCode, string Output, string Error)> capture = Task.Run(
                    () => nsB.Exec("tshark", "-i", "ovlb", "-f", "ip proto 4", "-c", "2", "-a", "duration:60", "-w", pcap), ct);
                for (int i = 0; i < 100 && !capture.IsCompleted; i++)
                {
                    nsA.Exec("ping", "-c", "1", "-W", "1", "-M", "do", "198.19.2.1");
                }

                (int exit, _, string error) = await capture;
                Assert.True(exit == 0, error);
                List<string[]> rows = Pcap.Dissect(pcap, [], "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.flags.df", "ip.checksum.status", "icmp.type", "icmp.checksum.status");
                Assert.Equal(2, rows.Count);
                foreach (string[] f in rows)
                {
                    Assert.Contains(f[0], new[] { "198.18.0.1,198.19.1.1", "198.18.0.2,198.19.2.1" });
                    Assert.Contains(f[1], new[] { "198.18.0.2,198.19.2.1", "198.18.0.1,198.19.1.1" });
                    Assert.StartsWith("4,1", f[2], StringComparison.Ordinal);
                    string[] ttl = f[3].Split(',');
                    Assert.Equal(ttl[0], ttl[1]);          // ttl inherit: the outer TTL is the inner one
                    string[] df = f[4].Split(',');
                    Assert.Equal(df[1], df[0]);            // pmtudisc off: the outer DF is the inner one
                    Assert.Equal("1,1", f[5]);
                    Assert.Contains(f[6], new[] { "8", "0" });
                    Assert.Equal("1", f[7]);
                }
            }
            finally
            {
                File.Delete(pcap);
            }
        }
    }
}
