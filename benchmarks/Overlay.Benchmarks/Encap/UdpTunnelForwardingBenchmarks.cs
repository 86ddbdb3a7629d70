using System.Net;
using BenchmarkDotNet.Attributes;
using Overlay.Encap;
using Overlay.Encap.Internal;

namespace Overlay.Benchmarks.Encap;

/// <summary>
/// The UDP tunnel's per-packet decisions for a 1,400-byte packet: peer lookup by longest-prefix match (egress) and
/// validation plus sender check (ingress: IPv4 header checksum, lookup of the inner source, outer address compare).
/// Excludes the system calls. Expect 0 B allocated, and a cost independent of the number of peers.
/// </summary>
[MemoryDiagnoser]
public class UdpTunnelForwardingBenchmarks
{
    private byte[] _egress = null!;
    private byte[] _ingress = null!;
    private uint _sender;
    private TunnelForwarder _forwarder = null!;

    [Params(1, 64, 512)]
    public int PeerCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var peers = new TunnelPeerTable();
        for (int i = 0; i < PeerCount; i++)
        {
            peers.Set(new IPNetwork(IPAddress.Parse($"198.19.{i / 2}.{(i % 2) * 128}"), 25), new IPEndPoint(IPAddress.Parse($"198.18.{i / 250}.{(i % 250) + 1}"), 8285));
        }

        _forwarder = new TunnelForwarder(peers, checkSender: true, maxPacketSize: 1472);
        int last = PeerCount - 1;
        string peerAddress = $"198.19.{last / 2}.{((last % 2) * 128) + 5}";
        _egress = Build("198.19.255.1", peerAddress);
        _ingress = Build(peerAddress, "198.19.255.1");
        _sender = IPv4Header.ToUInt32(IPAddress.Parse($"198.18.{last / 250}.{(last % 250) + 1}"));
    }

    private static byte[] Build(string source, string destination)
    {
        byte[] packet = new byte[1400];
        IPv4Header.Write(packet, (ushort)packet.Length, 1, IPv4Header.DontFragment, 64, IPProtocols.Udp,
            IPv4Header.ToUInt32(IPAddress.Parse(source)), IPv4Header.ToUInt32(IPAddress.Parse(destination)));
        return packet;
    }

    [Benchmark(Description = "Egress decision (LPM)")]
    public int Egress() => _forwarder.DecideEgress(_egress, out TunnelPeerTable.PeerEntry peer) + peer.Port;

    [Benchmark(Description = "Ingress decision (validate + sender check)")]
    public int Ingress() => _forwarder.DecideIngress(_ingress, _sender);
}
