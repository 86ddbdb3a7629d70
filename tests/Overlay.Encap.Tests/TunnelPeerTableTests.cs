using System.Net;
using Overlay.Encap.Internal;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

public sealed class TunnelPeerTableTests
{
    private static IPEndPoint Endpoint(string address) => new(IPAddress.Parse(address), 8285);

    [Fact]
    public void Longest_prefix_wins()
    {
        var peers = new TunnelPeerTable();
        peers.Set(IPNetwork.Parse("198.19.0.0/16"), Endpoint("198.18.0.16"));
        peers.Set(IPNetwork.Parse("198.19.2.0/24"), Endpoint("198.18.0.24"));
        peers.Set(IPNetwork.Parse("198.19.2.128/25"), Endpoint("198.18.0.25"));

        Assert.True(peers.TryLookup(IPAddress.Parse("198.19.2.200"), out IPNetwork subnet, out IPEndPoint? ep));
        Assert.Equal(IPNetwork.Parse("198.19.2.128/25"), subnet);
        Assert.Equal(Endpoint("198.18.0.25"), ep);
        Assert.True(peers.TryLookup(IPAddress.Parse("198.19.2.5"), out _, out ep));
        Assert.Equal(Endpoint("198.18.0.24"), ep);
        Assert.True(peers.TryLookup(IPAddress.Parse("198.19.3.5"), out _, out ep));
        Assert.Equal(Endpoint("198.18.0.16"), ep);
        Assert.False(peers.TryLookup(IPAddress.Parse("198.20.0.1"), out _, out _));
    }

    [Fact]
    public void Set_replaces_and_remove_deletes()
    {
        var peers = new TunnelPeerTable();
        peers.Set(IPNetwork.Parse("198.19.2.0/24"), Endpoint("198.18.0.2"));
        peers.Set(IPNetwork.Parse("198.19.2.0/24"), Endpoint("198.18.0.3"));
        Assert.Equal(1, peers.Count);
        Assert.True(peers.TryLookup(IPAddress.Parse("198.19.2.1"), out _, out IPEndPoint? ep));
        Assert.Equal(Endpoint("198.18.0.3"), ep);
        Assert.True(peers.Remove(IPNetwork.Parse("198.19.2.0/24")));
        Assert.False(peers.Remove(IPNetwork.Parse("198.19.2.0/24")));
        Assert.Equal(0, peers.Count);
        Assert.Throws<ArgumentException>(() => peers.Set(IPNetwork.Parse("2001:db8::/64"), Endpoint("198.18.0.3")));
    }

    [Fact]
    public async Task Lookups_see_a_consistent_table_during_concurrent_updates()
    {
        // Overlap is guaranteed by counting, not by timing: lookups are counted only while the writer runs, and the
        // writer does not stop before both sides have done their minimum share of work during that overlap.
        const int MinWrites = 2000;    // Set + Remove pairs done while the reader is reading
        const int MinLookups = 20_000; // lookups done while the writer is writing
        var peers = new TunnelPeerTable();
        peers.Set(IPNetwork.Parse("198.19.1.0/24"), Endpoint("198.18.0.1"));
        uint address = Packets.Ip("198.19.1.77");
        int lookups = 0, writesWhileReading = 0, misses = 0;
        bool readerStarted = false, readerStopped = false, writerStarted = false, writerDone = false;
        CancellationToken ct = TestContext.Current.CancellationToken;

        Task writer = Task.Run(() =>
        {
            Volatile.Write(ref writerStarted, true);
            try
            {
                for (int i = 0; Volatile.Read(ref writesWhileReading) < MinWrites || Volatile.Read(ref lookups) < MinLookups; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    if (Volatile.Read(ref readerStopped))
                    {
                        return; // the reader failed: stop, and let its error fail the test
                    }

                    bool reading = Volatile.Read(ref readerStarted);
                    peers.Set(new IPNetwork(IPAddress.Parse($"198.19.{2 + (i % 200)}.0"), 24), Endpoint($"198.18.1.{1 + (i % 200)}"));
                    peers.Remove(new IPNetwork(IPAddress.Parse($"198.19.{2 + ((i + 100) % 200)}.0"), 24));
                    if (reading)
                    {
                        writesWhileReading++;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref writerDone, true);
            }
        }, ct);

        Task reader = Task.Run(() =>
        {
            try
            {
                SpinWait.SpinUntil(() => Volatile.Read(ref writerStarted));
                Volatile.Write(ref readerStarted, true);
                while (!Volatile.Read(ref writerDone))
                {
                    if (!peers.TryLookup(address, out TunnelPeerTable.PeerEntry entry) || entry.Address != Packets.Ip("198.18.0.1"))
                    {
                        misses++;
                    }

                    Interlocked.Increment(ref lookups);
                }
            }
            finally
            {
                Volatile.Write(ref readerStopped, true);
            }
        }, ct);

        await Task.WhenAll(writer, reader).WaitAsync(TimeSpan.FromMinutes(2), ct); // hang guard only
        Assert.Equal(0, misses);
        Assert.True(lookups >= MinLookups, $"{lookups} lookups overlapped the writer");
        Assert.True(writesWhileReading >= MinWrites, $"{writesWhileReading} writes overlapped the reader");
        Assert.Equal(101, peers.Count); // 198.19.1.0/24 and the 100 subnets the last round left set
    }
}

public sealed class TunnelForwarderTests
{
    private static readonly uint PeerB = Packets.Ip("198.18.0.2");
    private static readonly uint PeerC = Packets.Ip("198.18.0.3");

    private static TunnelForwarder Create(bool checkSender = true)
    {
        var peers = new TunnelPeerTable();
        peers.Set(IPNetwork.Parse("198.19.2.0/24"), new IPEndPoint(IPAddress.Parse("198.18.0.2"), 8285));
        peers.Set(IPNetwork.Parse("198.19.3.0/24"), new IPEndPoint(IPAddress.Parse("198.18.0.3"), 8285));
        return new TunnelForwarder(peers, checkSender, maxPacketSize: 1472);
    }

    [Fact]
    public void Egress_goes_to_the_peer_of_the_destination_subnet()
    {
        TunnelForwarder f = Create();
        Assert.Equal(-1, f.DecideEgress(Packets.Udp("198.19.1.1", "198.19.3.9", 1, 2, []), out TunnelPeerTable.PeerEntry peer));
        Assert.Equal((PeerC, (ushort)8285), (peer.Address, peer.Port));
        Assert.Equal((int)TunnelDropReason.NoRoute, f.DecideEgress(Packets.Udp("198.19.1.1", "198.19.4.9", 1, 2, []), out _));
        Assert.Equal((int)TunnelDropReason.NotIPv4, f.DecideEgress(new byte[40] { 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, out _));
    }

    [Fact]
    public void Ingress_checks_the_sender_and_the_inner_source()
    {
        TunnelForwarder f = Create();
        byte[] fromB = Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, [1]);
        Assert.Equal(-1, f.DecideIngress(fromB, PeerB));
        Assert.Equal((int)TunnelDropReason.SourceNotInPeerSubnet, f.DecideIngress(fromB, PeerC));
        Assert.Equal((int)TunnelDropReason.UnknownSender, f.DecideIngress(fromB, Packets.Ip("198.18.0.99")));
        Assert.Equal((int)TunnelDropReason.SourceNotInPeerSubnet, f.DecideIngress(Packets.Udp("198.19.9.7", "198.19.1.1", 1, 2, [1]), PeerB));
        Assert.Equal((int)TunnelDropReason.UnknownSender, f.DecideIngress(Packets.Udp("198.19.9.7", "198.19.1.1", 1, 2, [1]), Packets.Ip("198.18.0.99")));
    }

    [Fact]
    public void Ingress_names_the_owner_whose_counters_are_charged()
    {
        TunnelForwarder f = Create();
        Assert.Equal(-1, f.DecideIngress(Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, [1]), PeerB, out TunnelPeerTable.PeerEntry owner));
        Assert.Equal(PeerB, owner.Address);
        Assert.NotNull(owner.Counters);
        Assert.Equal((int)TunnelDropReason.SourceNotInPeerSubnet, f.DecideIngress(Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, [1]), PeerC, out owner));
        Assert.Null(owner.Counters);
    }

    [Fact]
    public void Peer_counters_survive_an_endpoint_change_and_start_over_after_removal()
    {
        var peers = new TunnelPeerTable();
        IPNetwork subnet = IPNetwork.Parse("198.19.2.0/24");
        Assert.Null(peers.GetStatistics(subnet));
        peers.Set(subnet, new IPEndPoint(IPAddress.Parse("198.18.0.2"), 8285));
        Assert.True(peers.TryLookup(Packets.Ip("198.19.2.9"), out TunnelPeerTable.PeerEntry entry));
        entry.Counters.AddEgress(3, 300);
        entry.Counters.AddIngress(120);
        Assert.True(peers.TryGetEndpointCounters(Packets.Ip("198.18.0.2"), out TunnelPeerTable.PeerCounters? byAddress));
        byAddress.AddDrops(2);
        Assert.Equal(new TunnelPeerStatistics(3, 300, 1, 120, 2), peers.GetStatistics(subnet));

        // The peer moved to another underlay address: same peer, same counters; the old address is nobody's now.
        peers.Set(subnet, new IPEndPoint(IPAddress.Parse("198.18.0.7"), 8285));
        Assert.Equal(new TunnelPeerStatistics(3, 300, 1, 120, 2), peers.GetStatistics(IPNetwork.Parse("198.19.2.0/24")));
        Assert.False(peers.TryGetEndpointCounters(Packets.Ip("198.18.0.2"), out _));

        Assert.True(peers.Remove(subnet));
        Assert.Null(peers.GetStatistics(subnet));
        peers.Set(subnet, new IPEndPoint(IPAddress.Parse("198.18.0.7"), 8285));
        Assert.Equal(new TunnelPeerStatistics(0, 0, 0, 0, 0), peers.GetStatistics(subnet));
        Assert.Null(peers.GetStatistics(IPNetwork.Parse("2001:db8::/64")));
    }

    [Fact]
    public void Without_the_sender_check_the_inner_source_must_still_be_a_peer_subnet()
    {
        TunnelForwarder f = Create(checkSender: false);
        Assert.Equal(-1, f.DecideIngress(Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, [1]), Packets.Ip("203.0.113.9")));
        Assert.Equal((int)TunnelDropReason.SourceNotInPeerSubnet, f.DecideIngress(Packets.Udp("198.19.9.7", "198.19.1.1", 1, 2, [1]), PeerB));
    }

    [Fact]
    public void Malformed_and_oversize_datagrams_are_dropped_with_a_reason()
    {
        TunnelForwarder f = Create();
        byte[] good = Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, new byte[100]);
        Assert.Equal((int)TunnelDropReason.TooShort, f.DecideIngress(good.AsSpan(0, 19), PeerB));
        byte[] v6 = (byte[])good.Clone();
        v6[0] = 0x65;
        Assert.Equal((int)TunnelDropReason.BadVersion, f.DecideIngress(v6, PeerB));
        byte[] ihl = (byte[])good.Clone();
        ihl[0] = 0x43;
        Assert.Equal((int)TunnelDropReason.BadHeaderLength, f.DecideIngress(ihl, PeerB));
        Assert.Equal((int)TunnelDropReason.LengthMismatch, f.DecideIngress(good.AsSpan(0, good.Length - 1), PeerB));
        byte[] sum = (byte[])good.Clone();
        sum[11] ^= 1;
        Assert.Equal((int)TunnelDropReason.BadChecksum, f.DecideIngress(sum, PeerB));
        Assert.Equal((int)TunnelDropReason.Oversize, f.DecideIngress(Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, new byte[1500]), PeerB));
    }

    [Fact]
    public void Ttl_is_left_alone()
    {
        TunnelForwarder f = Create();
        byte[] packet = Packets.Udp("198.19.2.7", "198.19.1.1", 1, 2, [1], ttl: 1);
        byte[] copy = (byte[])packet.Clone();
        Assert.Equal(-1, f.DecideIngress(packet, PeerB));
        Assert.Equal(copy, packet);
    }
}
