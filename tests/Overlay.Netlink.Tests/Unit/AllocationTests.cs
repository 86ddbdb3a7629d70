using System.Net;

namespace Overlay.Netlink.Tests.Unit;

public sealed class AllocationTests
{
    [Fact]
    public void Building_route_neighbor_and_fdb_messages_allocates_nothing()
    {
        var route = new Route
        {
            Destination = IPNetwork.Parse("198.19.3.0/24"),
            Gateway = IPAddress.Parse("198.19.3.0"),
            OutputInterface = 4,
            Flags = RouteFlags.OnLink,
            Protocol = 77,
            Priority = 10,
            Mtu = 1400,
        };
        var route6 = new Route { Destination = IPNetwork.Parse("2001:db8:19::/48"), Gateway = IPAddress.Parse("2001:db8:18::2"), OutputInterface = 3 };
        var neighbor = new Neighbor { InterfaceIndex = 4, Address = IPAddress.Parse("198.19.3.0"), LinkLayerAddress = MacAddress.Parse("02:42:c6:13:03:00"), Protocol = 77 };
        var fdb = new FdbEntry { InterfaceIndex = 4, MacAddress = MacAddress.Parse("02:42:c6:13:03:00"), Destination = IPAddress.Parse("198.18.0.3") };
        byte[] buffer = new byte[64 * 1024];

        int total = BuildMany(buffer, route, route6, neighbor, fdb, 10); // warm up (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        total += BuildMany(buffer, route, route6, neighbor, fdb, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(total > 10_000 * 4 * 16);
    }

    private static int BuildMany(byte[] buffer, Route route, Route route6, Neighbor neighbor, FdbEntry fdb, int iterations)
    {
        int total = 0;
        for (int i = 0; i < iterations; i++)
        {
            var writer = new NetlinkMessageWriter(buffer);
            NetlinkClient.WriteRoute(ref writer, NetlinkBulkOperation.Replace, route, (uint)i);
            NetlinkClient.WriteRoute(ref writer, NetlinkBulkOperation.Delete, route6, (uint)i);
            NetlinkClient.WriteNeighbor(ref writer, NetlinkBulkOperation.Replace, neighbor, (uint)i);
            NetlinkClient.WriteFdb(ref writer, NetlinkBulkOperation.Append, fdb, (uint)i);
            total += writer.Finish();
        }

        return total;
    }
}

public sealed class NftAllocationTests
{
    [Fact]
    public void Building_an_nftables_batch_allocates_nothing()
    {
        var tx = new NftTransaction();
        NftGoldenTests.FlannelRules(tx, NftFamily.IPv4, "flannel-ipv4", IPNetwork.Parse("198.19.0.0/16"), IPNetwork.Parse("198.19.3.0/24"), IPNetwork.Parse("224.0.0.0/4"), fullyRandom: true);
        NftGoldenTests.FlannelRules(tx, NftFamily.IPv6, "flannel-ipv6", IPNetwork.Parse("2001:db8:19::/48"), IPNetwork.Parse("2001:db8:19:3::/64"), IPNetwork.Parse("ff00::/8"), fullyRandom: true);
        tx.DeleteRule(NftFamily.IPv4, "flannel-ipv4", "postrtg", 7).DeleteTable(NftFamily.IPv6, "x");
        byte[] buffer = new byte[64 * 1024];
        int total = Build(buffer, tx, 10);
        long before = GC.GetAllocatedBytesForCurrentThread();
        total += Build(buffer, tx, 2_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(total > 2_000 * 4_000);
    }

    private static int Build(byte[] buffer, NftTransaction tx, int iterations)
    {
        int total = 0;
        for (int i = 0; i < iterations; i++)
        {
            var writer = new NetlinkMessageWriter(buffer);
            NetlinkClient.WriteNftBatch(ref writer, tx, (uint)i);
            total += writer.Length;
        }

        return total;
    }
}
