using System.Net;
using Overlay.Backends.Reconcile;
using Overlay.Encap;

namespace Overlay.Backends.Udp;

/// <summary>One entry of the tunnel's peer table: a peer subnet and the underlay endpoint datagrams for it go to.</summary>
/// <param name="Subnet">The peer's overlay subnet (IPv4).</param>
/// <param name="Endpoint">The peer's public address and the network's UDP port.</param>
internal sealed record UdpPeerEntry(IPNetwork Subnet, IPEndPoint Endpoint);

/// <summary>
/// The udp backend's per-peer "kernel objects": entries of the engine's <see cref="TunnelPeerTable"/>. With this
/// adapter the shared reconcile engine (<see cref="PeerReconciler"/>, <see cref="ReconcilingNetwork"/>) does the lease
/// watch, diffing, status and retries for the udp backend as it does for routes. Updates take effect for the next
/// packet: the table is replaced atomically while the workers keep running.
/// </summary>
internal sealed class UdpPeerObjectKind : KernelObjectKind<UdpPeerEntry>
{
    private readonly TunnelPeerTable _table;
    private readonly Lock _gate = new();
    private readonly Dictionary<IPNetwork, UdpPeerEntry> _installed = [];

    public UdpPeerObjectKind(TunnelPeerTable table) => _table = table;

    public override string Name => "udp peer";

    /// <summary>Raised after an entry was set (true) or removed (false).</summary>
    public event Action<UdpPeerEntry, bool>? Changed;

    public override object GetKey(UdpPeerEntry item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Subnet;
    }

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<UdpPeerEntry> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var failures = new List<KernelObjectFailure>();
        for (int i = 0; i < items.Count; i++)
        {
            UdpPeerEntry item = items[i];
            try
            {
                lock (_gate)
                {
                    _table.Set(item.Subnet, item.Endpoint);
                    _installed[item.Subnet] = item;
                }

                Changed?.Invoke(item, true);
            }
            catch (ArgumentException ex)
            {
                failures.Add(new KernelObjectFailure(i, ex.Message));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>(failures);
    }

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<UdpPeerEntry> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (UdpPeerEntry item in items)
        {
            bool removed;
            lock (_gate)
            {
                // Only the entry we installed under this subnet; a replacement with another endpoint stays.
                removed = _installed.TryGetValue(item.Subnet, out UdpPeerEntry? current) && current.Equals(item)
                    && _installed.Remove(item.Subnet) && _table.Remove(item.Subnet);
            }

            if (removed)
            {
                Changed?.Invoke(item, false);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>([]);
    }

    public override ValueTask<IReadOnlyList<UdpPeerEntry>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<UdpPeerEntry>>([.. _installed.Values]);
        }
    }
}
