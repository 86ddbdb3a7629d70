using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Overlay.Encap;

/// <summary>
/// The tunnel's routes: overlay subnet → peer underlay endpoint (the port is used by the UDP transport only), with longest-prefix match.
/// Updates copy the table and publish the copy atomically, so lookups from the workers take no lock,
/// never allocate, and always see a consistent table while packets flow.
/// </summary>
public sealed class TunnelPeerTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(uint Network, int PrefixLength), PeerEntry> _entries = [];
    private Snapshot _snapshot = Snapshot.Empty;

    /// <summary>The number of peers.</summary>
    public int Count => Volatile.Read(ref _snapshot).Count;

    /// <summary>Raised after a change (outside the lock), for logging.</summary>
    internal event Action<IPNetwork, IPEndPoint?>? Changed;

    /// <summary>Adds a peer or replaces the endpoint of an existing subnet.</summary>
    /// <param name="subnet">The peer's overlay subnet (IPv4).</param>
    /// <param name="endpoint">The peer's underlay address and UDP port (IPv4).</param>
    /// <exception cref="ArgumentException">The subnet or endpoint is not IPv4.</exception>
    public void Set(IPNetwork subnet, IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("The tunnel carries IPv4 subnets only.", nameof(subnet));
        }

        uint network = IPv4Header.ToUInt32(subnet.BaseAddress) & IPv4Header.PrefixMask(subnet.PrefixLength);
        lock (_gate)
        {
            // A peer whose endpoint changes keeps its counters.
            PeerCounters counters = _entries.TryGetValue((network, subnet.PrefixLength), out PeerEntry existing) ? existing.Counters : new PeerCounters();
            var entry = new PeerEntry(network, subnet.PrefixLength, IPv4Header.ToUInt32(endpoint.Address), (ushort)endpoint.Port, counters);
            _entries[(network, subnet.PrefixLength)] = entry;
            Volatile.Write(ref _snapshot, new Snapshot(_entries.Values));
        }

        Changed?.Invoke(subnet, endpoint);
    }

    /// <summary>Removes the peer of <paramref name="subnet"/>.</summary>
    /// <param name="subnet">The overlay subnet.</param>
    /// <returns><see langword="true"/> if it was present.</returns>
    public bool Remove(IPNetwork subnet)
    {
        if (subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        uint network = IPv4Header.ToUInt32(subnet.BaseAddress) & IPv4Header.PrefixMask(subnet.PrefixLength);
        bool removed;
        lock (_gate)
        {
            removed = _entries.Remove((network, subnet.PrefixLength));
            if (removed)
            {
                Volatile.Write(ref _snapshot, new Snapshot(_entries.Values));
            }
        }

        if (removed)
        {
            Changed?.Invoke(subnet, null);
        }

        return removed;
    }

    /// <summary>Removes every peer.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            Volatile.Write(ref _snapshot, Snapshot.Empty);
        }
    }

    /// <summary>Looks up the peer whose subnet most specifically contains <paramref name="address"/> (allocates the result; for diagnostics).</summary>
    /// <param name="address">An overlay IPv4 address.</param>
    /// <param name="subnet">The matching subnet.</param>
    /// <param name="endpoint">The peer's endpoint.</param>
    /// <returns><see langword="true"/> if a peer matched.</returns>
    public bool TryLookup(IPAddress address, out IPNetwork subnet, out IPEndPoint? endpoint)
    {
        if (TryLookup(IPv4Header.ToUInt32(address), out PeerEntry entry))
        {
            subnet = new IPNetwork(IPv4Header.ToIPAddress(entry.Network), entry.PrefixLength);
            endpoint = new IPEndPoint(IPv4Header.ToIPAddress(entry.Address), entry.Port);
            return true;
        }

        subnet = default;
        endpoint = null;
        return false;
    }

    /// <summary>
    /// The counters of the peer of <paramref name="subnet"/>: inner packets and bytes sent to it and received from it,
    /// and packets dropped on its account (sends to it that failed, datagrams from its address that were refused).
    /// They survive an endpoint change of the subnet and start over when the peer is removed and added again.
    /// </summary>
    /// <param name="subnet">The peer's overlay subnet, as given to <see cref="Set"/>.</param>
    /// <returns>A snapshot, or <see langword="null"/> if no peer has that subnet.</returns>
    public TunnelPeerStatistics? GetStatistics(IPNetwork subnet)
    {
        if (subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        uint network = IPv4Header.ToUInt32(subnet.BaseAddress) & IPv4Header.PrefixMask(subnet.PrefixLength);
        lock (_gate)
        {
            return _entries.TryGetValue((network, subnet.PrefixLength), out PeerEntry entry) ? entry.Counters.Snapshot() : null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryLookup(uint address, out PeerEntry entry) => Volatile.Read(ref _snapshot).TryLookup(address, out entry);

    internal bool IsKnownEndpointAddress(uint address) => Volatile.Read(ref _snapshot).EndpointAddresses.ContainsKey(address);

    /// <summary>The counters of a peer whose underlay address is <paramref name="address"/> (the first one set, if several share it).</summary>
    internal bool TryGetEndpointCounters(uint address, [NotNullWhen(true)] out PeerCounters? counters) =>
        Volatile.Read(ref _snapshot).EndpointAddresses.TryGetValue(address, out counters);

    internal readonly record struct PeerEntry(uint Network, int PrefixLength, uint Address, ushort Port, PeerCounters Counters);

    /// <summary>
    /// One peer's counters, shared by every worker thread (interlocked adds: one per packet or super-packet, on the
    /// peer's own cache line, no allocation).
    /// </summary>
    internal sealed class PeerCounters
    {
        private long _egressPackets;
        private long _egressBytes;
        private long _ingressPackets;
        private long _ingressBytes;
        private long _drops;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddEgress(long packets, long bytes)
        {
            Interlocked.Add(ref _egressPackets, packets);
            Interlocked.Add(ref _egressBytes, bytes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddIngress(long bytes)
        {
            Interlocked.Increment(ref _ingressPackets);
            Interlocked.Add(ref _ingressBytes, bytes);
        }

        public void AddDrops(long count) => Interlocked.Add(ref _drops, count);

        public TunnelPeerStatistics Snapshot() => new(
            Interlocked.Read(ref _egressPackets), Interlocked.Read(ref _egressBytes),
            Interlocked.Read(ref _ingressPackets), Interlocked.Read(ref _ingressBytes), Interlocked.Read(ref _drops));
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new([]);

        private readonly int[] _prefixLengths;
        private readonly uint[] _masks;
        private readonly Dictionary<uint, PeerEntry>[] _maps;

        public Snapshot(IEnumerable<PeerEntry> entries)
        {
            PeerEntry[] all = [.. entries];
            Count = all.Length;
            _prefixLengths = [.. all.Select(e => e.PrefixLength).Distinct().OrderDescending()];
            _masks = [.. _prefixLengths.Select(IPv4Header.PrefixMask)];
            _maps = new Dictionary<uint, PeerEntry>[_prefixLengths.Length];
            for (int i = 0; i < _prefixLengths.Length; i++)
            {
                int length = _prefixLengths[i];
                _maps[i] = all.Where(e => e.PrefixLength == length).ToDictionary(e => e.Network);
            }

            EndpointAddresses = [];
            foreach (PeerEntry e in all)
            {
                _ = EndpointAddresses.TryAdd(e.Address, e.Counters);
            }
        }

        public int Count { get; }

        public Dictionary<uint, PeerCounters> EndpointAddresses { get; }

        public bool TryLookup(uint address, out PeerEntry entry)
        {
            uint[] masks = _masks;
            Dictionary<uint, PeerEntry>[] maps = _maps;
            for (int i = 0; i < masks.Length && i < maps.Length; i++)
            {
                if (maps[i].TryGetValue(address & masks[i], out entry))
                {
                    return true;
                }
            }

            entry = default;
            return false;
        }
    }
}

/// <summary>A snapshot of one peer's counters (see <see cref="TunnelPeerTable.GetStatistics"/>).</summary>
/// <param name="EgressPackets">Inner packets sent to the peer (after segmentation).</param>
/// <param name="EgressBytes">Inner bytes sent to the peer.</param>
/// <param name="IngressPackets">Inner packets from the peer delivered to the TUN (before coalescing).</param>
/// <param name="IngressBytes">Inner bytes from the peer delivered to the TUN.</param>
/// <param name="Drops">Packets dropped on the peer's account: failed sends to it, refused datagrams from its address.</param>
public sealed record TunnelPeerStatistics(long EgressPackets, long EgressBytes, long IngressPackets, long IngressBytes, long Drops);
