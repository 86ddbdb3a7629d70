using System.Net.Sockets;
using Overlay.Netlink;

namespace Overlay.Backends.IPIP.Internal;

/// <summary>
/// The rtnetlink requests the ipip backend sends to set up its device, one method per request, so the whole
/// registration sequence can be checked against a recording fake kernel (tier 2), request by request.
/// </summary>
internal interface IIPIPKernel
{
    ValueTask<Link?> TryGetLinkAsync(string name, CancellationToken cancellationToken);

    ValueTask<Link> LinkAddAsync(IPIPLinkSpec spec, CancellationToken cancellationToken);

    ValueTask LinkDeleteAsync(int index, CancellationToken cancellationToken);

    ValueTask LinkSetMtuAsync(int index, int mtu, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<LinkAddress>> AddressesAsync(int index, CancellationToken cancellationToken);

    ValueTask AddressAddAsync(LinkAddress address, CancellationToken cancellationToken);

    ValueTask AddressDeleteAsync(LinkAddress address, CancellationToken cancellationToken);

    ValueTask LinkSetUpAsync(int index, CancellationToken cancellationToken);
}

/// <summary>The real kernel: each call is one request of the network's <see cref="NetlinkClient"/>.</summary>
internal sealed class NetlinkIPIPKernel(NetlinkClient netlink) : IIPIPKernel
{
    public ValueTask<Link?> TryGetLinkAsync(string name, CancellationToken cancellationToken) => netlink.TryGetLinkAsync(name, cancellationToken);

    public ValueTask<Link> LinkAddAsync(IPIPLinkSpec spec, CancellationToken cancellationToken) => netlink.LinkAddAsync(spec, cancellationToken);

    public async ValueTask LinkDeleteAsync(int index, CancellationToken cancellationToken) => _ = await netlink.LinkDeleteAsync(index, cancellationToken).ConfigureAwait(false);

    public ValueTask LinkSetMtuAsync(int index, int mtu, CancellationToken cancellationToken) => netlink.LinkSetMtuAsync(index, mtu, cancellationToken);

    public async ValueTask<IReadOnlyList<LinkAddress>> AddressesAsync(int index, CancellationToken cancellationToken)
    {
        var list = new List<LinkAddress>();
        await foreach (LinkAddress a in netlink.AddressesAsync(AddressFamily.InterNetwork, index, cancellationToken).ConfigureAwait(false))
        {
            list.Add(a);
        }

        return list;
    }

    public ValueTask AddressAddAsync(LinkAddress address, CancellationToken cancellationToken) => netlink.AddressAddAsync(address, cancellationToken);

    public async ValueTask AddressDeleteAsync(LinkAddress address, CancellationToken cancellationToken) => _ = await netlink.AddressDeleteAsync(address, cancellationToken).ConfigureAwait(false);

    public ValueTask LinkSetUpAsync(int index, CancellationToken cancellationToken) => netlink.LinkSetUpAsync(index, cancellationToken);
}
