using System.Net;
using Overlay.Backends.Reconcile;
using Overlay.Encap;

namespace Overlay.Backends.IPIP.Internal;

/// <summary>One entry of the user-space engine's peer table: a peer subnet and the peer's underlay address.</summary>
internal sealed record IPIPPeerEntry(IPNetwork Subnet, IPAddress Address);

/// <summary>
/// The user-space data path's per-peer "kernel objects": entries of the engine's <see cref="TunnelPeerTable"/>, so the
/// shared reconcile loop diffs, retries and reports them with the routes. When the data path is re-created (its TUN
/// deleted by hand), <see cref="Attach"/> replays every entry into the new engine's table.
/// </summary>
internal sealed class IPIPPeerObjectKind : KernelObjectKind<IPIPPeerEntry>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPNetwork, IPIPPeerEntry> _installed = [];
    private TunnelPeerTable? _table;

    public override string Name => "ipip peer";

    /// <summary>Raised after an entry was set (true) or removed (false).</summary>
    public event Action<IPIPPeerEntry, bool>? Changed;

    /// <summary>Points the kind at (a new) engine's table and copies every installed entry into it.</summary>
    public void Attach(TunnelPeerTable table)
    {
        lock (_gate)
        {
            _table = table;
            foreach (IPIPPeerEntry entry in _installed.Values)
            {
                table.Set(entry.Subnet, new IPEndPoint(entry.Address, 0));
            }
        }
    }

    public override object GetKey(IPIPPeerEntry item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Subnet;
    }

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<IPIPPeerEntry> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var failures = new List<KernelObjectFailure>();
        for (int i = 0; i < items.Count; i++)
        {
            IPIPPeerEntry item = items[i];
            try
            {
                lock (_gate)
                {
                    _table?.Set(item.Subnet, new IPEndPoint(item.Address, 0));
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

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<IPIPPeerEntry> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (IPIPPeerEntry item in items)
        {
            bool removed;
            lock (_gate)
            {
                // Only the entry we installed under this subnet; a replacement with another address stays.
                removed = _installed.TryGetValue(item.Subnet, out IPIPPeerEntry? current) && current.Equals(item) && _installed.Remove(item.Subnet);
                if (removed)
                {
                    _ = _table?.Remove(item.Subnet);
                }
            }

            if (removed)
            {
                Changed?.Invoke(item, false);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>([]);
    }

    public override ValueTask<IReadOnlyList<IPIPPeerEntry>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<IPIPPeerEntry>>([.. _installed.Values]);
        }
    }
}
