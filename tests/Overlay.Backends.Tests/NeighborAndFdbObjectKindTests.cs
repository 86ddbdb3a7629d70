using System.Net;
using System.Net.Sockets;
using Overlay.Backends.Reconcile;
using Overlay.Netlink;

namespace Overlay.Backends.Tests;

/// <summary>Identity and matching of the neighbour and FDB adapters (what the reconciler diffs on).</summary>
public sealed class NeighborAndFdbObjectKindTests
{
    private static readonly MacAddress A = MacAddress.Parse("0a:00:00:00:00:01");
    private static readonly MacAddress B = MacAddress.Parse("0a:00:00:00:00:02");

    private static Neighbor Neigh(string ip, MacAddress mac, int dev = 7, NeighborState state = NeighborState.Permanent) =>
        new() { InterfaceIndex = dev, Address = IPAddress.Parse(ip), LinkLayerAddress = mac, State = state };

    private static FdbEntry Fdb(MacAddress mac, string dst, int dev = 7) =>
        new() { InterfaceIndex = dev, MacAddress = mac, Destination = IPAddress.Parse(dst) };

    [Fact]
    public void A_neighbour_is_identified_by_family_device_and_address()
    {
        Assert.Equal(new NeighborKey(AddressFamily.InterNetwork, 7, IPAddress.Parse("198.19.3.0")), NeighborObjectKind.KeyOf(Neigh("198.19.3.0", A)));
        Assert.Equal(NeighborObjectKind.KeyOf(Neigh("198.19.3.0", A)), NeighborObjectKind.KeyOf(Neigh("198.19.3.0", B)));
        Assert.NotEqual(NeighborObjectKind.KeyOf(Neigh("198.19.3.0", A)), NeighborObjectKind.KeyOf(Neigh("198.19.3.0", A, dev: 8)));
        Assert.Equal(AddressFamily.InterNetworkV6, NeighborObjectKind.KeyOf(Neigh("2001:db8:19:3::", A)).Family);
    }

    [Fact]
    public void A_neighbour_matches_on_MAC_and_permanent_state_whatever_the_kernel_adds()
    {
        using var netlink = NetlinkClient.Open();
        var kind = new NeighborObjectKind(netlink, () => []);
        Neighbor desired = Neigh("198.19.3.0", A) with { Protocol = 111 };
        Assert.True(kind.Matches(desired, Neigh("198.19.3.0", A) with { Flags = NeighborFlags.Self }));
        Assert.False(kind.Matches(desired, Neigh("198.19.3.0", B)));
        Assert.False(kind.Matches(desired, Neigh("198.19.3.0", A, state: NeighborState.Reachable)));
    }

    [Fact]
    public void An_FDB_entry_is_identified_by_device_and_MAC_so_a_new_MAC_is_a_new_object()
    {
        Assert.Equal(new FdbKey(7, A), FdbObjectKind.KeyOf(Fdb(A, "198.18.1.3")));
        Assert.Equal(FdbObjectKind.KeyOf(Fdb(A, "198.18.1.3")), FdbObjectKind.KeyOf(Fdb(A, "198.18.1.4")));
        Assert.NotEqual(FdbObjectKind.KeyOf(Fdb(A, "198.18.1.3")), FdbObjectKind.KeyOf(Fdb(B, "198.18.1.3")));
    }

    [Fact]
    public void An_FDB_entry_matches_on_destination()
    {
        using var netlink = NetlinkClient.Open();
        var kind = new FdbObjectKind(netlink, () => []);
        Assert.True(kind.Matches(Fdb(A, "198.18.1.3"), Fdb(A, "198.18.1.3") with { Vni = 1 }));
        Assert.False(kind.Matches(Fdb(A, "198.18.1.3"), Fdb(A, "198.18.1.4")));
        Assert.False(kind.Matches(Fdb(A, "198.18.1.3") with { Port = 4790 }, Fdb(A, "198.18.1.3") with { Port = 8472 }));
    }
}
