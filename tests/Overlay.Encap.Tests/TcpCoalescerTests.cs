using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class TcpCoalescerTests
{
    private static byte[] Segment(uint sequence, int payload, TcpFlags flags = TcpFlags.Ack, string source = "198.19.1.1", ushort port = 40000, uint ack = 5) =>
        Packets.Tcp(source, "198.19.2.1", port, 5201, sequence, ack, flags, Packets.Pattern(payload, (int)sequence), id: (ushort)sequence);

    [Fact]
    public void Out_of_order_segment_is_a_mismatch()
    {
        var c = new TcpCoalescer();
        Assert.Equal(CoalesceResult.Added, c.TryAdd(Segment(1000, 100)));
        Assert.Equal(CoalesceResult.Mismatch, c.TryAdd(Segment(1200, 100)));
        Assert.Equal(CoalesceResult.Added, c.TryAdd(Segment(1100, 100)));
        Assert.Equal(2, c.SegmentCount);
    }

    [Fact]
    public void Different_flow_or_ack_is_a_mismatch()
    {
        var c = new TcpCoalescer();
        c.TryAdd(Segment(1000, 100));
        Assert.Equal(CoalesceResult.Mismatch, c.TryAdd(Segment(1100, 100, port: 40001)));
        Assert.Equal(CoalesceResult.Mismatch, c.TryAdd(Segment(1100, 100, source: "198.19.1.2")));
        Assert.Equal(CoalesceResult.Mismatch, c.TryAdd(Segment(1100, 100, ack: 6)));
    }

    [Fact]
    public void Larger_segment_after_a_smaller_one_is_a_mismatch_and_psh_closes_the_group()
    {
        var c = new TcpCoalescer();
        c.TryAdd(Segment(1000, 100));
        c.TryAdd(Segment(1100, 50));
        Assert.Equal(CoalesceResult.Mismatch, c.TryAdd(Segment(1150, 50)));
        c.Flush();
        c.TryAdd(Segment(1000, 100, TcpFlags.Ack | TcpFlags.Psh));
        Assert.Equal(CoalesceResult.Mismatch, c.TryAdd(Segment(1100, 100)));
    }

    [Fact]
    public void Control_and_empty_segments_are_not_coalescable()
    {
        var c = new TcpCoalescer();
        Assert.Equal(CoalesceResult.NotCoalescable, c.TryAdd(Segment(1, 100, TcpFlags.Syn)));
        Assert.Equal(CoalesceResult.NotCoalescable, c.TryAdd(Segment(1, 100, TcpFlags.Ack | TcpFlags.Fin)));
        Assert.Equal(CoalesceResult.NotCoalescable, c.TryAdd(Segment(1, 0)));
        Assert.Equal(CoalesceResult.NotCoalescable, c.TryAdd(Packets.Udp("198.19.1.1", "198.19.2.1", 1, 2, new byte[100])));
        Assert.True(c.IsEmpty);
        Assert.True(c.Flush().IsEmpty);
    }

    [Fact]
    public void Group_never_exceeds_the_ipv4_total_length()
    {
        var c = new TcpCoalescer();
        uint seq = 0;
        int added = 0;
        while (c.TryAdd(Segment(seq, 1400)) == CoalesceResult.Added)
        {
            seq += 1400;
            added++;
        }

        Assert.Equal((65535 - 40) / 1400, added);
        Assert.True(c.Flush().Length - VirtioNetHeader.Length <= 65535);
    }
}
