using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Testing;

/// <summary>What lab to build.</summary>
public sealed record LabOptions
{
    /// <summary>Nodes on the first L2 segment.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Nodes on a second segment, behind a router namespace (0: no router).</summary>
    public int RoutedNodes { get; init; }

    /// <summary>Give the underlay IPv6 addresses too (2001:db8:18::/48).</summary>
    public bool IPv6 { get; init; } = true;

    /// <summary>Leave everything in place on dispose (for demos and manual poking).</summary>
    public bool Keep { get; init; }
}

/// <summary>
/// A multi-node lab of network namespaces: N nodes on one L2 segment (a bridge in its own
/// namespace), optionally more behind a router on a second segment. Each node has an underlay
/// address (198.18.S.N/24, 2001:db8:18:S::N/64 with nodad), forwarding on, and a default route via
/// the router address. Names start with <c>ovl-&lt;pid&gt;-</c>; disposing deletes every namespace
/// (and so every link) the lab made, and creating a lab first removes leftovers of processes that
/// are gone — never a live process's lab.
/// </summary>
public sealed partial class Lab : IAsyncDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly LabOptions _options;
    private int _disposed;

    private Lab(string prefix, LabOptions options)
    {
        Prefix = prefix;
        _options = options;
    }

    /// <summary>The name prefix of every namespace of this lab (<c>ovl-&lt;pid&gt;-&lt;id&gt;</c>).</summary>
    public string Prefix { get; }

    /// <summary>The nodes, first segment first.</summary>
    public IReadOnlyList<LabNode> Nodes { get; private set; } = [];

    /// <summary>The router namespace name, or null.</summary>
    public string? Router { get; private set; }

    /// <summary>The switch namespace name (the segments' bridges live there).</summary>
    public string Switch => Prefix + "-sw";

    /// <summary>Builds a lab.</summary>
    public static async Task<Lab> CreateAsync(LabOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LabOptions();
        if (options.Nodes < 1 || options.Nodes + options.RoutedNodes > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "1 to 250 nodes.");
        }

        await RemoveStaleAsync(cancellationToken).ConfigureAwait(false);
        string prefix = $"ovl-{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}";
        var lab = new Lab(prefix, options);
        try
        {
            await lab.BuildAsync(cancellationToken).ConfigureAwait(false);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        bool routed = _options.RoutedNodes > 0;
        var nodes = new List<LabNode>();
        for (int i = 0; i < _options.Nodes + _options.RoutedNodes; i++)
        {
            int segment = i < _options.Nodes ? 1 : 2;
            int host = i + 1;
            nodes.Add(new LabNode($"{Prefix}-n{host}", host, segment,
                IPAddress.Parse($"198.18.{segment}.{host}"),
                _options.IPv6 ? IPAddress.Parse($"2001:db8:18:{segment}::{host:x}") : null));
        }

        Router = routed ? Prefix + "-rt" : null;
        var all = new List<string> { Switch };
        all.AddRange(nodes.Select(n => n.Namespace));
        if (Router is not null)
        {
            all.Add(Router);
        }

        foreach (string ns in all)
        {
            await Shell.IpAsync("netns", "add", ns).ConfigureAwait(false);
            _namespaces.Add(ns);
        }

        var sw = new List<string> { "link set lo up", "link add br1 type bridge", "link set br1 up" };
        if (routed)
        {
            sw.AddRange(["link add br2 type bridge", "link set br2 up"]);
        }

        foreach (LabNode node in nodes)
        {
            sw.Add($"link add p{node.Host} type veth peer name eth0 netns {node.Namespace}");
            sw.Add($"link set p{node.Host} master br{node.Segment}");
            sw.Add($"link set p{node.Host} up");
        }

        if (Router is not null)
        {
            sw.AddRange([
                $"link add rt1 type veth peer name r1 netns {Router}", "link set rt1 master br1", "link set rt1 up",
                $"link add rt2 type veth peer name r2 netns {Router}", "link set rt2 master br2", "link set rt2 up",
            ]);
        }

        await Shell.IpBatchAsync(Switch, sw, cancellationToken).ConfigureAwait(false);

        foreach (LabNode node in nodes)
        {
            var lines = new List<string>
            {
                "link set lo up",
                "link set eth0 up",
                $"addr add {node.Underlay}/24 dev eth0",
                $"route add default via 198.18.{node.Segment}.254",
            };
            if (node.UnderlayV6 is { } v6)
            {
                lines.Add($"addr add {v6}/64 dev eth0 nodad");
                lines.Add($"route add default via 2001:db8:18:{node.Segment}::fe");
            }

            await Sysctls(node.Namespace, cancellationToken).ConfigureAwait(false);
            await Shell.IpBatchAsync(node.Namespace, lines, cancellationToken).ConfigureAwait(false);
        }

        if (Router is not null)
        {
            await Sysctls(Router, cancellationToken).ConfigureAwait(false);
            var lines = new List<string> { "link set lo up", "link set r1 up", "link set r2 up", "addr add 198.18.1.254/24 dev r1", "addr add 198.18.2.254/24 dev r2" };
            if (_options.IPv6)
            {
                lines.AddRange(["addr add 2001:db8:18:1::fe/64 dev r1 nodad", "addr add 2001:db8:18:2::fe/64 dev r2 nodad"]);
            }

            await Shell.IpBatchAsync(Router, lines, cancellationToken).ConfigureAwait(false);
        }

        Nodes = nodes;
    }

    private static Task<string> Sysctls(string ns, CancellationToken cancellationToken) =>
        Shell.RunAsync("ip", ["netns", "exec", ns, "sh", "-c",
            "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding; " +
            "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad; " +
            "echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 0 > /proc/sys/net/ipv4/conf/default/rp_filter"], cancellationToken: cancellationToken);

    /// <summary>Deletes the lab's namespaces (unless <see cref="LabOptions.Keep"/>). Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || _options.Keep)
        {
            return;
        }

        foreach (LabNode node in Nodes)
        {
            node.Dispose();
        }

        foreach (string ns in _namespaces.AsEnumerable().Reverse())
        {
            await Shell.TryRunAsync("ip", ["netns", "del", ns]).ConfigureAwait(false);
        }
    }

    /// <summary>Removes namespaces named <c>ovl-&lt;pid&gt;-…</c> whose process is gone.</summary>
    public static async Task RemoveStaleAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(NetworkNamespace.NamedNamespaceDirectory))
        {
            return;
        }

        foreach (string path in Directory.GetFiles(NetworkNamespace.NamedNamespaceDirectory))
        {
            Match m = OwnedName().Match(Path.GetFileName(path));
            if (m.Success && int.TryParse(m.Groups[1].ValueSpan, out int pid) && !Directory.Exists($"/proc/{pid}"))
            {
                await Shell.TryRunAsync("ip", ["netns", "del", Path.GetFileName(path)], cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [GeneratedRegex(@"^ovl-([0-9]+)-")]
    private static partial Regex OwnedName();
}

/// <summary>One node of a <see cref="Lab"/>.</summary>
public sealed class LabNode : IDisposable
{
    private NetworkNamespace? _namespace;

    internal LabNode(string ns, int host, int segment, IPAddress underlay, IPAddress? underlayV6)
    {
        Namespace = ns;
        Host = host;
        Segment = segment;
        Underlay = underlay;
        UnderlayV6 = underlayV6;
    }

    /// <summary>The namespace name.</summary>
    public string Namespace { get; }

    /// <summary>The node number (1-based).</summary>
    public int Host { get; }

    /// <summary>The L2 segment (1, or 2 behind the router).</summary>
    public int Segment { get; }

    /// <summary>The underlay IPv4 address on eth0.</summary>
    public IPAddress Underlay { get; }

    /// <summary>The underlay IPv6 address on eth0, when the lab has IPv6.</summary>
    public IPAddress? UnderlayV6 { get; }

    /// <summary>The pod IPv4 address on cni0 (after <see cref="AddPodBridgeAsync"/>).</summary>
    public IPAddress? PodAddress { get; private set; }

    /// <summary>The pod IPv6 address on cni0.</summary>
    public IPAddress? PodAddressV6 { get; private set; }

    /// <summary>The namespace, opened (for netlink clients and sockets inside it).</summary>
    public NetworkNamespace OpenNamespace() => _namespace ??= NetworkNamespace.Open(Namespace);

    /// <summary>Netlink options that program this node.</summary>
    public NetlinkClientOptions NetlinkOptions => new() { NetworkNamespace = OpenNamespace() };

    /// <summary>Creates an empty bridge <c>cni0</c> with the lease's first address(es), as the CNI
    /// bridge plugin would (FLANNEL_SUBNET = subnet + 1).</summary>
    public async Task AddPodBridgeAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var lines = new List<string> { "link add cni0 type bridge", "link set cni0 up" };
        if (lease.Subnet is { } s4)
        {
            PodAddress = Offset(s4.BaseAddress, 1);
            lines.Add($"addr add {PodAddress}/{s4.PrefixLength} dev cni0");
        }

        if (lease.IPv6Subnet is { } s6)
        {
            PodAddressV6 = Offset(s6.BaseAddress, 1);
            lines.Add($"addr add {PodAddressV6}/{s6.PrefixLength} dev cni0 nodad");
        }

        await Shell.IpBatchAsync(Namespace, lines, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a command inside the node (<c>ip netns exec</c>).</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> ExecAsync(IEnumerable<string> command, CancellationToken cancellationToken = default) =>
        Shell.TryRunAsync("ip", ["netns", "exec", Namespace, .. command], cancellationToken: cancellationToken);

    /// <summary>iproute2 inside the node (<c>ip -n ns …</c>), throwing on failure.</summary>
    public Task<string> IpAsync(params string[] arguments) => Shell.RunAsync("ip", ["-n", Namespace, .. arguments]);

    /// <summary>One ICMP echo from <paramref name="source"/> to <paramref name="target"/> (2 s wait); true when answered.</summary>
    public async Task<bool> PingAsync(IPAddress target, IPAddress? source = null, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "ping", "-c", "1", "-W", "2", "-n", "-q" };
        if (source is not null)
        {
            args.AddRange(["-I", source.ToString()]);
        }

        args.Add(target.ToString());
        var (code, _, _) = await ExecAsync(args, cancellationToken).ConfigureAwait(false);
        return code == 0;
    }

    /// <summary>Pings until answered or <paramref name="attempts"/> are used (the first packets may
    /// wait for neighbour resolution); true when answered.</summary>
    public async Task<bool> PingUntilAsync(IPAddress target, IPAddress? source, int attempts = 10, CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < attempts; i++)
        {
            if (await PingAsync(target, source, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> of pseudo-random data over TCP from this node's
    /// <paramref name="source"/> to <paramref name="peer"/>'s <paramref name="target"/> and returns
    /// true when the far end received exactly those bytes (SHA-256 compared).
    /// </summary>
    public async Task<bool> TcpTransferAsync(LabNode peer, IPAddress source, IPAddress target, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        using Socket listener = peer.OpenNamespace().CreateSocket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(target, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        Task<byte[]> receive = Task.Run(async () =>
        {
            using Socket accepted = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                total += n;
            }

            return total == bytes ? sha.GetHashAndReset() : [];
        }, cancellationToken);

        using Socket client = OpenNamespace().CreateSocket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Bind(new IPEndPoint(source, 0));
        await client.ConnectAsync(new IPEndPoint(target, port), cancellationToken).ConfigureAwait(false);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(port);
        byte[] chunk = new byte[64 * 1024];
        for (long left = bytes; left > 0;)
        {
            int size = (int)Math.Min(chunk.Length, left);
            random.NextBytes(chunk.AsSpan(0, size));
            sent.AppendData(chunk, 0, size);
            int offset = 0;
            while (offset < size)
            {
                offset += await client.SendAsync(chunk.AsMemory(offset, size - offset), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            left -= size;
        }

        client.Shutdown(SocketShutdown.Send);
        byte[] received = await receive.ConfigureAwait(false);
        return received.AsSpan().SequenceEqual(sent.GetHashAndReset());
    }

    /// <summary>Closes the opened namespace handle.</summary>
    public void Dispose() => _namespace?.Dispose();

    private static IPAddress Offset(IPAddress address, int offset)
    {
        byte[] bytes = address.GetAddressBytes();
        int carry = offset;
        for (int i = bytes.Length - 1; i >= 0 && carry != 0; i--)
        {
            int sum = bytes[i] + carry;
            bytes[i] = (byte)sum;
            carry = sum >> 8;
        }

        return new IPAddress(bytes);
    }
}
