using System.Net;
using Overlay.Encap;

namespace Overlay.Backends.Udp.Tests;

public sealed class UdpPeerObjectKindTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly IPNetwork Subnet = IPNetwork.Parse("198.19.2.0/24");
    private static readonly IPEndPoint PeerA = new(IPAddress.Parse("198.18.1.2"), 8285);
    private static readonly IPEndPoint PeerB = new(IPAddress.Parse("198.18.1.3"), 8285);

    [Fact]
    public async Task Install_and_remove_change_the_engines_table_and_the_owned_list()
    {
        var table = new TunnelPeerTable();
        var kind = new UdpPeerObjectKind(table);
        var entry = new UdpPeerEntry(Subnet, PeerA);
        Assert.Empty(await kind.InstallAsync([entry], Ct));
        Assert.True(table.TryLookup(IPAddress.Parse("198.19.2.7"), out IPNetwork found, out IPEndPoint? endpoint));
        Assert.Equal(Subnet, found);
        Assert.Equal(PeerA, endpoint);
        Assert.Equal([entry], await kind.ListOwnedAsync(Ct));

        Assert.Empty(await kind.RemoveAsync([entry], Ct));
        Assert.False(table.TryLookup(IPAddress.Parse("198.19.2.7"), out _, out _));
        Assert.Empty(await kind.ListOwnedAsync(Ct));
    }

    [Fact]
    public async Task Removing_a_replaced_entry_leaves_the_replacement()
    {
        var table = new TunnelPeerTable();
        var kind = new UdpPeerObjectKind(table);
        await kind.InstallAsync([new UdpPeerEntry(Subnet, PeerA)], Ct);
        await kind.InstallAsync([new UdpPeerEntry(Subnet, PeerB)], Ct);
        await kind.RemoveAsync([new UdpPeerEntry(Subnet, PeerA)], Ct);
        Assert.True(table.TryLookup(IPAddress.Parse("198.19.2.7"), out _, out IPEndPoint? endpoint));
        Assert.Equal(PeerB, endpoint);
    }

    [Fact]
    public async Task A_non_ipv4_entry_is_reported_as_a_failure_not_thrown()
    {
        var kind = new UdpPeerObjectKind(new TunnelPeerTable());
        IReadOnlyList<Overlay.Backends.Reconcile.KernelObjectFailure> failures =
            await kind.InstallAsync([new UdpPeerEntry(IPNetwork.Parse("2001:db8:19::/64"), PeerA)], Ct);
        Assert.Single(failures);
    }

    [Fact]
    public void The_key_is_the_subnet()
    {
        var kind = new UdpPeerObjectKind(new TunnelPeerTable());
        Assert.Equal(kind.GetKey(new UdpPeerEntry(Subnet, PeerA)), kind.GetKey(new UdpPeerEntry(Subnet, PeerB)));
    }
}
