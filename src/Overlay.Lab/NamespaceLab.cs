using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Overlay.Netlink;

namespace Overlay.Lab;

/// <summary>
/// A multi-node lab of network namespaces, built with netlink alone (no <c>ip</c> command): N nodes on
/// one L2 segment (a bridge in a switch namespace), optionally more behind a router namespace on a
/// second segment. Each node has an underlay interface <c>eth0</c> with 198.18.S.N/24 (and, with
/// <see cref="LabOptions.IPv6"/>, 2001:db8:18:S::N/64 added with nodad), forwarding on, DAD and
/// reverse-path filtering off, and a default route via the segment's router address (.254, ::fe).
/// </summary>
/// <remarks>
/// Namespace names are <c>ovl-&lt;pid&gt;-&lt;id&gt;-…</c> and appear in <c>ip netns list</c>.
/// Disposing deletes every namespace (and so every link) the lab made, unless
/// <see cref="LabOptions.Keep"/>. Creating a lab first removes the namespaces of labs whose process
/// is gone (<see cref="RemoveStale"/>), never a live process's. Needs root (CAP_SYS_ADMIN and
/// CAP_NET_ADMIN). The class is not thread-safe for building; its nodes can be used from any thread.
/// </remarks>
public sealed partial class NamespaceLab : IAsyncDisposable
{
    /// <summary>The prefix of every namespace a lab creates.</summary>
    public const string NamePrefix = "ovl-";

    /// <summary>The most nodes a lab can have (both segments together).</summary>
    public const int MaxNodes = 250;

    /// <summary>Names of the created namespaces, in creation order (deleted in reverse).</summary>
    private readonly List<string> _created = [];

    /// <summary>Handles of the switch and router namespaces (the nodes own theirs).</summary>
    private readonly List<NetworkNamespace> _handles = [];
    private readonly List<LabNode> _nodes = [];
    private readonly LabOptions _options;
    private int _disposed;

    private NamespaceLab(string prefix, LabOptions options)
    {
        Prefix = prefix;
        _options = options;
    }

    /// <summary>The name prefix of every namespace of this lab (<c>ovl-&lt;pid&gt;-&lt;id&gt;</c>).</summary>
    public string Prefix { get; }

    /// <summary>The options the lab was built with.</summary>
    public LabOptions Options => _options;

    /// <summary>The nodes, first segment first.</summary>
    public IReadOnlyList<LabNode> Nodes => _nodes;

    /// <summary>The router namespace's name, or null when the lab has one segment.</summary>
    public string? Router { get; private set; }

    /// <summary>The switch namespace's name (the segments' bridges <c>br1</c>, <c>br2</c> live there).</summary>
    public string Switch => Prefix + "-sw";

    /// <summary>Builds a lab.</summary>
    /// <param name="options">What to build; null for three dual-stack nodes on one segment.</param>
    /// <param name="cancellationToken">Cancels the build (what was built is deleted).</param>
    /// <returns>The lab; dispose it to delete it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1 or more than <see cref="MaxNodes"/> nodes.</exception>
    /// <exception cref="IOException">A namespace could not be created or programmed (not root, a kernel
    /// feature missing); <see cref="NetlinkException"/> for netlink failures.</exception>
    public static async Task<NamespaceLab> CreateAsync(LabOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LabOptions();
        if (options.Nodes < 1 || options.RoutedNodes < 0 || options.Nodes + options.RoutedNodes > MaxNodes)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"1 to {MaxNodes} nodes.");
        }

        RemoveStale();
        string prefix = $"{NamePrefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}";
        var lab = new NamespaceLab(prefix, options);
        try
        {
            await lab.BuildAsync(cancellationToken).ConfigureAwait(false);
            return lab;
        }
        catch
        {
            lab.Delete(force: true);
            throw;
        }
    }

    /// <summary>
    /// Removes namespaces named <c>ovl-&lt;pid&gt;-…</c> whose process is gone (leftovers of a lab
    /// whose process was killed), through <see cref="NetworkNamespace.Delete"/>. Namespaces of live
    /// processes, and names not of that form, are never touched.
    /// </summary>
    /// <returns>How many namespaces were removed.</returns>
    public static int RemoveStale()
    {
        if (!Directory.Exists(NetworkNamespace.NamedNamespaceDirectory))
        {
            return 0;
        }

        int removed = 0;
        foreach (string path in Directory.GetFiles(NetworkNamespace.NamedNamespaceDirectory))
        {
            string name = Path.GetFileName(path);
            Match m = OwnedName().Match(name);
            if (m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && !Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
            {
                try
                {
                    if (NetworkNamespace.Delete(name))
                    {
                        removed++;
                    }
                }
                catch (IOException)
                {
                    // removed concurrently by another process, or busy: the next lab tries again
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        return removed;
    }

    /// <summary>Closes the lab's namespace handles and deletes its namespaces (unless
    /// <see cref="LabOptions.Keep"/>). Idempotent. Dispose the agents running on the nodes first.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Delete(force: false);
        }

        return ValueTask.CompletedTask;
    }

    private void Delete(bool force)
    {
        foreach (LabNode node in _nodes)
        {
            node.Dispose();
        }

        foreach (NetworkNamespace handle in _handles)
        {
            handle.Dispose();
        }

        if (_options.Keep && !force)
        {
            return;
        }

        for (int i = _created.Count - 1; i >= 0; i--)
        {
            try
            {
                NetworkNamespace.Delete(_created[i]);
            }
            catch (IOException)
            {
                // gone already (removed by hand or by another process's stale-lab clean-up)
            }
        }
    }

    /// <summary>
    /// Adds a host outside the overlay (<see cref="LabOutsideHost"/>) to the first segment: namespace
    /// <c>PREFIX-out</c>, 198.18.1.253/24 (and 2001:db8:18:1::fd/64), listening for pings. Deleted with the lab.
    /// </summary>
    /// <param name="cancellationToken">Cancels the build.</param>
    /// <returns>The host; dispose it before the lab.</returns>
    public async Task<LabOutsideHost> AddOutsideHostAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        string name = Prefix + "-out";
        NetworkNamespace ns = CreateNamespace(name);
        _handles.Add(ns);
        using (NetlinkClient sw = _handles[0].OpenNetlinkClient())
        {
            Link bridge = await sw.GetLinkAsync("br1", cancellationToken).ConfigureAwait(false);
            await AddPortAsync(sw, "pout", ns, LabNode.UnderlayInterfaceName, bridge.Index, cancellationToken).ConfigureAwait(false);
        }

        var address = new IPAddress([198, 18, 1, 253]);
        IPAddress? v6 = _options.IPv6 ? UnderlayV6(1, 0xfd) : null;
        using (NetlinkClient netlink = ns.OpenNetlinkClient())
        {
            await SetUpAsync(netlink, "lo", cancellationToken).ConfigureAwait(false);
            int eth0 = await SetUpAsync(netlink, LabNode.UnderlayInterfaceName, cancellationToken).ConfigureAwait(false);
            await AddAddressAsync(netlink, eth0, address, 24, cancellationToken).ConfigureAwait(false);
            if (v6 is not null)
            {
                Sysctl.Write("net.ipv6.conf.all.accept_dad", 0, ns);
                await AddAddressAsync(netlink, eth0, v6, 64, cancellationToken).ConfigureAwait(false);
            }
        }

        var host = new LabOutsideHost(ns, name, address, v6);
        host.StartListening();
        return host;
    }

    private NetworkNamespace CreateNamespace(string name)
    {
        NetworkNamespace ns = NetworkNamespace.Create(name);
        _created.Add(name);
        return ns;
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        bool routed = _options.RoutedNodes > 0;
        NetworkNamespace sw = CreateNamespace(Switch);
        _handles.Add(sw);
        for (int i = 0; i < _options.Nodes + _options.RoutedNodes; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int segment = i < _options.Nodes ? 1 : 2;
            int host = i + 1;
            NetworkNamespace ns = CreateNamespace($"{Prefix}-n{host.ToString(CultureInfo.InvariantCulture)}");
            _nodes.Add(new LabNode(ns, host, segment,
                new IPAddress([198, 18, (byte)segment, (byte)host]),
                _options.IPv6 ? UnderlayV6(segment, host) : null));
        }

        NetworkNamespace? router = null;
        if (routed)
        {
            Router = Prefix + "-rt";
            router = CreateNamespace(Router);
            _handles.Add(router);
        }

        // The switch: one bridge per segment, a veth per node (the node's end is its eth0), and the
        // router's two legs.
        using (NetlinkClient netlink = sw.OpenNetlinkClient())
        {
            await SetUpAsync(netlink, "lo", cancellationToken).ConfigureAwait(false);
            int[] bridges = [0, await AddBridgeAsync(netlink, "br1", cancellationToken).ConfigureAwait(false), 0];
            if (routed)
            {
                bridges[2] = await AddBridgeAsync(netlink, "br2", cancellationToken).ConfigureAwait(false);
            }

            foreach (LabNode node in _nodes)
            {
                await AddPortAsync(netlink, "p" + node.Host.ToString(CultureInfo.InvariantCulture), node.OpenNamespace(), LabNode.UnderlayInterfaceName,
                    bridges[node.Segment], cancellationToken).ConfigureAwait(false);
            }

            if (router is not null)
            {
                await AddPortAsync(netlink, "rt1", router, "r1", bridges[1], cancellationToken).ConfigureAwait(false);
                await AddPortAsync(netlink, "rt2", router, "r2", bridges[2], cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (LabNode node in _nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            NetworkNamespace ns = node.OpenNamespace();
            ConfigureSysctls(ns);
            using NetlinkClient netlink = ns.OpenNetlinkClient();
            await SetUpAsync(netlink, "lo", cancellationToken).ConfigureAwait(false);
            int eth0 = await SetUpAsync(netlink, LabNode.UnderlayInterfaceName, cancellationToken).ConfigureAwait(false);
            await AddAddressAsync(netlink, eth0, node.Underlay, 24, cancellationToken).ConfigureAwait(false);
            await netlink.RouteAddAsync(new Route { Gateway = RouterAddress(node.Segment) }, cancellationToken).ConfigureAwait(false);
            if (node.UnderlayV6 is { } v6)
            {
                await AddAddressAsync(netlink, eth0, v6, 64, cancellationToken).ConfigureAwait(false);
                await netlink.RouteAddAsync(new Route { Gateway = RouterAddressV6(node.Segment) }, cancellationToken).ConfigureAwait(false);
            }
        }

        if (router is not null)
        {
            ConfigureSysctls(router);
            using NetlinkClient netlink = router.OpenNetlinkClient();
            await SetUpAsync(netlink, "lo", cancellationToken).ConfigureAwait(false);
            int r1 = await SetUpAsync(netlink, "r1", cancellationToken).ConfigureAwait(false);
            int r2 = await SetUpAsync(netlink, "r2", cancellationToken).ConfigureAwait(false);
            await AddAddressAsync(netlink, r1, RouterAddress(1), 24, cancellationToken).ConfigureAwait(false);
            await AddAddressAsync(netlink, r2, RouterAddress(2), 24, cancellationToken).ConfigureAwait(false);
            if (_options.IPv6)
            {
                await AddAddressAsync(netlink, r1, RouterAddressV6(1), 64, cancellationToken).ConfigureAwait(false);
                await AddAddressAsync(netlink, r2, RouterAddressV6(2), 64, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Forwarding on (nodes route pod traffic), DAD off (addresses usable at once),
    /// reverse-path filtering off (asymmetric paths through the overlay are fine).</summary>
    private static void ConfigureSysctls(NetworkNamespace ns)
    {
        Sysctl.Write("net.ipv4.ip_forward", 1, ns);
        Sysctl.Write("net.ipv6.conf.all.forwarding", 1, ns);
        Sysctl.Write("net.ipv6.conf.all.accept_dad", 0, ns);
        Sysctl.Write("net.ipv6.conf.default.accept_dad", 0, ns);
        Sysctl.Write("net.ipv4.conf.all.rp_filter", 0, ns);
        Sysctl.Write("net.ipv4.conf.default.rp_filter", 0, ns);
    }

    private static async Task<int> SetUpAsync(NetlinkClient netlink, string name, CancellationToken cancellationToken)
    {
        Link link = await netlink.GetLinkAsync(name, cancellationToken).ConfigureAwait(false);
        await netlink.LinkSetUpAsync(link.Index, cancellationToken).ConfigureAwait(false);
        return link.Index;
    }

    private static async Task<int> AddBridgeAsync(NetlinkClient netlink, string name, CancellationToken cancellationToken)
    {
        Link bridge = await netlink.LinkAddAsync(new BridgeLinkSpec { Name = name }, cancellationToken).ConfigureAwait(false);
        await netlink.LinkSetUpAsync(bridge.Index, cancellationToken).ConfigureAwait(false);
        return bridge.Index;
    }

    /// <summary>A veth pair: <paramref name="name"/> in the switch, enslaved to the bridge and up;
    /// its peer <paramref name="peerName"/> created directly in <paramref name="peerNamespace"/>.</summary>
    private static async Task AddPortAsync(NetlinkClient netlink, string name, NetworkNamespace peerNamespace, string peerName, int bridge, CancellationToken cancellationToken)
    {
        Link port = await netlink.LinkAddAsync(new VethLinkSpec { Name = name, PeerName = peerName, PeerNamespace = peerNamespace }, cancellationToken).ConfigureAwait(false);
        await netlink.LinkModifyAsync(port.Index, new LinkModification { MasterIndex = bridge, Up = true }, cancellationToken).ConfigureAwait(false);
    }

    internal static ValueTask AddAddressAsync(NetlinkClient netlink, int index, IPAddress address, int prefixLength, CancellationToken cancellationToken) =>
        netlink.AddressAddAsync(new LinkAddress
        {
            InterfaceIndex = index,
            Address = address,
            PrefixLength = (byte)prefixLength,
            Flags = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? AddressFlags.NoDad : AddressFlags.None,
        }, cancellationToken);

    private static IPAddress UnderlayV6(int segment, int host) =>
        IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"2001:db8:18:{segment:x}::{host:x}"));

    private static IPAddress RouterAddress(int segment) => new([198, 18, (byte)segment, 254]);

    private static IPAddress RouterAddressV6(int segment) => UnderlayV6(segment, 0xfe);

    [GeneratedRegex(@"^ovl-([0-9]+)-")]
    private static partial Regex OwnedName();
}
