using System.Net;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class BulkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<Route> Routes(int count, int vx0) =>
        [.. Enumerable.Range(0, count).Select(i => new Route
        {
            Destination = new IPNetwork(new IPAddress(new byte[] { 198, 19, (byte)(i / 256), (byte)(i % 256) }), 32),
            Gateway = IPAddress.Parse("198.19.255.254"),
            OutputInterface = vx0,
            Flags = RouteFlags.OnLink,
            Protocol = 78,
        })];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bulk_routes_are_installed_refused_per_item_and_deleted(bool acknowledgeEach)
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create(new NetlinkClientOptions { BulkAcknowledgeEach = acknowledgeEach });
        (_, int vx0) = t.CreateUnderlayAndVxlan();
        List<Route> routes = Routes(3000, vx0);

        NetlinkBulkResult added = await t.Client.RouteBulkAsync(NetlinkBulkOperation.Add, routes, Ct);
        Assert.True(added.IsSuccess);
        Assert.Equal(3000, added.Succeeded);
        Assert.Equal(3000, t.IpJson("route show proto 78").GetArrayLength());

        // Mixed batch: every third route is new, the others exist; failures map back to indices.
        t.Ip("route del 198.19.0.3/32");
        var mixed = new List<Route> { routes[0], routes[3], routes[1] };
        NetlinkBulkResult second = await t.Client.RouteBulkAsync(NetlinkBulkOperation.Add, mixed, Ct);
        Assert.Equal(1, second.Succeeded);
        Assert.Equal([0, 2], second.Failures.Select(f => f.Index));
        Assert.All(second.Failures, f => Assert.Equal(LinuxErrno.EEXIST, f.Errno));

        NetlinkBulkResult replaced = await t.Client.RouteBulkAsync(NetlinkBulkOperation.Replace, routes, Ct);
        Assert.True(replaced.IsSuccess);

        NetlinkBulkResult deleted = await t.Client.RouteBulkAsync(NetlinkBulkOperation.Delete, routes, Ct);
        Assert.Equal(3000, deleted.Succeeded);
        Assert.Equal(0, t.IpJson("route show proto 78").GetArrayLength());

        NetlinkBulkResult again = await t.Client.RouteBulkAsync(NetlinkBulkOperation.Delete, routes.Take(10).ToList(), Ct);
        Assert.Equal(10, again.Failures.Count);
        Assert.All(again.Failures, f => Assert.Equal(LinuxErrno.ESRCH, f.Errno));
        Assert.Equal(Enumerable.Range(0, 10), again.Failures.Select(f => f.Index));
    }

    [Fact]
    public async Task Bulk_neighbors_and_fdb_entries_match_ip_and_bridge()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (_, int vx0) = t.CreateUnderlayAndVxlan();
        const int count = 2000;
        var neighbors = Enumerable.Range(0, count).Select(i => new Neighbor
        {
            InterfaceIndex = vx0,
            Address = new IPAddress(new byte[] { 198, 19, (byte)(i / 256), (byte)(i % 256) }),
            LinkLayerAddress = MacAddress.FromUInt64(0x0242_0000_0000UL + (ulong)i),
        }).ToList();
        var fdb = Enumerable.Range(0, count).Select(i => new FdbEntry
        {
            InterfaceIndex = vx0,
            MacAddress = MacAddress.FromUInt64(0x0242_0000_0000UL + (ulong)i),
            Destination = new IPAddress(new byte[] { 198, 18, (byte)(1 + (i / 256)), (byte)(i % 256) }),
        }).ToList();

        Assert.True((await t.Client.NeighborBulkAsync(NetlinkBulkOperation.Replace, neighbors, Ct)).IsSuccess);
        Assert.True((await t.Client.FdbBulkAsync(NetlinkBulkOperation.Append, fdb, Ct)).IsSuccess);
        Assert.Equal(count, t.IpJson("-4 neigh show dev vx0 nud permanent").GetArrayLength());
        var bridge = t.BridgeJson("fdb show dev vx0").EnumerateArray().Where(e => e.TryGetProperty("dst", out _)).ToList();
        Assert.Equal(count, bridge.Count);
        Assert.Contains(bridge, e => e.GetProperty("mac").GetString() == "02:42:00:00:07:cf" && e.GetProperty("dst").GetString() == "198.18.8.207");

        NetlinkBulkResult duplicate = await t.Client.FdbBulkAsync(NetlinkBulkOperation.Add, fdb.Take(5).ToList(), Ct);
        Assert.Equal(5, duplicate.Failures.Count);
        Assert.All(duplicate.Failures, f => Assert.Equal(LinuxErrno.EEXIST, f.Errno));

        Assert.True((await t.Client.NeighborBulkAsync(NetlinkBulkOperation.Delete, neighbors, Ct)).IsSuccess);
        Assert.True((await t.Client.FdbBulkAsync(NetlinkBulkOperation.Delete, fdb, Ct)).IsSuccess);
        Assert.Equal(0, t.IpJson("-4 neigh show dev vx0 nud permanent").GetArrayLength());
        Assert.DoesNotContain(t.BridgeJson("fdb show dev vx0").EnumerateArray(), e => e.TryGetProperty("dst", out _));
    }
}
