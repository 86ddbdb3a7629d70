using System.Net;
using Overlay.Netlink.Tests.Support;
using Overlay.Testing;

namespace Overlay.Netlink.Tests.Privileged;

[Trait("Category", "Privileged")]
public sealed class NotificationTests
{
    [Fact]
    public async Task Link_route_neighbor_and_fdb_changes_arrive_as_typed_events()
    {
        Testing.Privileged.Require();
        using var t = TestNamespace.Create();
        (_, int vx0) = t.CreateUnderlayAndVxlan();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30)); // guard against a hang only; nothing is timed
        await using IAsyncEnumerator<NetlinkNotification> events = t.Client.WatchAsync(NetlinkGroups.All, cts.Token).GetAsyncEnumerator(cts.Token);

        // Changes made by another tool (ip/bridge), so the events are not an echo of our own requests.
        t.Ip("link add br7 type bridge");
        LinkNotification linkAdded = await Next<LinkNotification>(events, n => n.Link.Name == "br7");
        Assert.Equal(NetlinkChangeKind.Added, linkAdded.Kind);
        Assert.Equal("bridge", linkAdded.Link.Kind);

        t.Ip("route add 198.19.3.0/24 via 198.19.3.0 dev vx0 onlink proto 77");
        RouteNotification route = await Next<RouteNotification>(events, n => n.Route.Protocol == 77);
        Assert.Equal(NetlinkChangeKind.Added, route.Kind);
        Assert.Equal(IPNetwork.Parse("198.19.3.0/24"), route.Route.Destination);
        Assert.Equal(vx0, route.Route.OutputInterface);

        t.Ip("neigh add 198.19.3.0 lladdr 02:42:c6:13:03:00 dev vx0 nud permanent");
        NeighborNotification neighbor = await Next<NeighborNotification>(events, n => n.Neighbor.Address.Equals(IPAddress.Parse("198.19.3.0")));
        Assert.Equal(MacAddress.Parse("02:42:c6:13:03:00"), neighbor.Neighbor.LinkLayerAddress);

        TestNamespace.Run("bridge", $"-n {t.Name} fdb append 02:42:c6:13:03:00 dev vx0 dst 198.18.0.3 self permanent");
        FdbNotification fdb = await Next<FdbNotification>(events, n => n.Entry.Destination is not null);
        Assert.Equal(IPAddress.Parse("198.18.0.3"), fdb.Entry.Destination);
        Assert.Equal(vx0, fdb.Entry.InterfaceIndex);

        t.Ip("addr add 198.19.1.0/32 dev vx0");
        AddressNotification address = await Next<AddressNotification>(events, n => n.Address.Address.Equals(IPAddress.Parse("198.19.1.0")));
        Assert.Equal(NetlinkChangeKind.Added, address.Kind);

        t.Ip("route del 198.19.3.0/24");
        RouteNotification removed = await Next<RouteNotification>(events, n => n.Kind == NetlinkChangeKind.Removed);
        Assert.Equal(IPNetwork.Parse("198.19.3.0/24"), removed.Route.Destination);

        t.Ip("link del br7");
        LinkNotification linkRemoved = await Next<LinkNotification>(events, n => n.Kind == NetlinkChangeKind.Removed && n.Link.Name == "br7");
        Assert.Equal(linkAdded.Link.Index, linkRemoved.Link.Index);
    }

    private static async Task<T> Next<T>(IAsyncEnumerator<NetlinkNotification> events, Func<T, bool> match)
        where T : NetlinkNotification
    {
        while (await events.MoveNextAsync())
        {
            if (events.Current is T typed && match(typed))
            {
                return typed;
            }
        }

        throw new InvalidOperationException("notification stream ended");
    }
}
