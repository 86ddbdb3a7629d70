using System.Net;
using Overlay.Encap.Internal;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

/// <summary>Nothing on the per-packet path allocates (STYLE §2.7 allocation guard).</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Per_packet_paths_allocate_nothing()
    {
        var encapsulator = new VxlanEncapsulator(new VxlanEncapsulatorOptions
        {
            Source = IPAddress.Parse("198.18.0.1"),
            Destination = IPAddress.Parse("198.18.0.2"),
            Vni = 1,
            UdpChecksum = true,
        });
        byte[] frame = Packets.Ethernet(new byte[6], new byte[6], EtherTypes.IPv4, Packets.Udp("198.19.1.1", "198.19.2.1", 1, 2, Packets.Pattern(1400)));
        byte[] outer = new byte[2000];
        byte[] inPlace = new byte[2000];
        frame.CopyTo(inPlace, 64);

        var peers = new TunnelPeerTable();
        for (int i = 0; i < 200; i++)
        {
            peers.Set(new IPNetwork(IPAddress.Parse($"198.19.{i}.0"), 24), new IPEndPoint(IPAddress.Parse($"198.18.0.{i % 250 + 1}"), 8285));
        }

        peers.Set(IPNetwork.Parse("198.19.128.0/17"), new IPEndPoint(IPAddress.Parse("198.18.1.1"), 8285));
        var forwarder = new TunnelForwarder(peers, checkSender: true, maxPacketSize: 1500);
        byte[] egress = Packets.Udp("198.19.1.1", "198.19.7.9", 1, 2, Packets.Pattern(1000));
        byte[] ingress = Packets.Udp("198.19.7.9", "198.19.1.1", 1, 2, Packets.Pattern(1000));
        uint sender = Packets.Ip("198.18.0.8");

        byte[] super = Packets.Tcp("198.19.1.1", "198.19.2.1", 1, 2, 0, 0, TcpFlags.Ack, Packets.Pattern(60_000));
        byte[] segments = new byte[140_000];
        var coalescer = new TcpCoalescer();
        byte[] icmp = new byte[IcmpDestinationUnreachable.MaximumLength];
        byte[] vnet = new byte[10];

        long sink = 0;
        void Work()
        {
            for (int i = 0; i < 1000; i++)
            {
                sink += encapsulator.Encapsulate(frame, outer);
                sink += encapsulator.EncapsulateInPlace(inPlace, 64, frame.Length).Length;
                if (VxlanEncapsulator.TryDecapsulate(outer.AsSpan(0, VxlanEncapsulator.HeaderLength + frame.Length), out VxlanPacket packet) == VxlanDecodeStatus.Success)
                {
                    sink += packet.InnerFrame.Length + packet.Vxlan.Vni;
                }

                sink += forwarder.DecideEgress(egress, out TunnelPeerTable.PeerEntry peer) + peer.Port;
                sink += forwarder.DecideIngress(ingress, sender);
                sink += forwarder.DecideIngress(ingress, sender + 1);
                sink += IcmpDestinationUnreachable.TryWrite(egress, 1, icmp);
                sink += new IPv4Header(ingress).IsHeaderChecksumValid() ? 1 : 0;
                sink += VirtioNetHeader.Read(vnet).GsoSize;
            }

            for (int i = 0; i < 20; i++)
            {
                int count = TcpSegmenter.Segment(super, 1448, segments, out int segmentLength, out int lastLength);
                for (int s = 0; s < count; s++)
                {
                    if (coalescer.TryAdd(segments.AsSpan(s * segmentLength, s == count - 1 ? lastLength : segmentLength)) != CoalesceResult.Added)
                    {
                        sink += coalescer.Flush().Length;
                    }
                }

                sink += coalescer.Flush().Length;
            }
        }

        Work(); // JIT and tiering warm-up
        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Work();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotEqual(0, sink);
        Assert.Equal(0, allocated);
    }
}
