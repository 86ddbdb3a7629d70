using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Backends;
using Overlay.Hosting;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Lab;

/// <summary>One node ("host") of a <see cref="NamespaceLab"/>: a network namespace with an underlay
/// interface <c>eth0</c> on one of the lab's segments.</summary>
public sealed partial class LabNode : IDisposable
{
    /// <summary>The node's underlay interface.</summary>
    public const string UnderlayInterfaceName = "eth0";

    /// <summary>The pod bridge <see cref="AddPodBridgeAsync"/> creates (the CNI bridge plugin's name).</summary>
    public const string PodBridgeName = "cni0";

    /// <summary>How long <see cref="StartOverlayAgentAsync"/> waits for an agent to become ready (a hang guard).</summary>
    public static readonly TimeSpan AgentStartTimeout = TimeSpan.FromSeconds(60);

    private readonly NetworkNamespace _namespace;

    internal LabNode(NetworkNamespace ns, int host, int segment, IPAddress underlay, IPAddress? underlayV6)
    {
        _namespace = ns;
        Namespace = ns.Name!;
        Host = host;
        Segment = segment;
        Underlay = underlay;
        UnderlayV6 = underlayV6;
    }

    /// <summary>The namespace's name (<c>ovl-&lt;pid&gt;-&lt;id&gt;-nN</c>; <c>ip netns exec NAME …</c> enters it).</summary>
    public string Namespace { get; }

    /// <summary>The short name, <c>n</c> and the node number (<c>n1</c>, <c>n2</c>, …).</summary>
    public string Name => "n" + Host.ToString(CultureInfo.InvariantCulture);

    /// <summary>The node number (1-based, unique in the lab).</summary>
    public int Host { get; }

    /// <summary>The L2 segment (1, or 2 behind the router).</summary>
    public int Segment { get; }

    /// <summary>The underlay IPv4 address on eth0 (198.18.S.N/24).</summary>
    public IPAddress Underlay { get; }

    /// <summary>The underlay IPv6 address on eth0 (2001:db8:18:S::N/64), when the lab has IPv6.</summary>
    public IPAddress? UnderlayV6 { get; }

    /// <summary>The pod IPv4 address on cni0 (after <see cref="AddPodBridgeAsync"/>).</summary>
    public IPAddress? PodAddress { get; private set; }

    /// <summary>The pod IPv6 address on cni0 (after <see cref="AddPodBridgeAsync"/>).</summary>
    public IPAddress? PodAddressV6 { get; private set; }

    /// <summary>Options for netlink clients that program this node.</summary>
    public NetlinkClientOptions NetlinkOptions => new() { NetworkNamespace = _namespace };

    /// <summary>The node's namespace, open for netlink clients and sockets inside it. The node owns
    /// the handle (do not dispose it); it is closed when the lab is disposed.</summary>
    /// <returns>The namespace.</returns>
    public NetworkNamespace OpenNamespace() => _namespace;

    /// <summary>Creates an empty bridge <c>cni0</c>, up, with the lease's first address(es), as the
    /// CNI bridge plugin would (FLANNEL_SUBNET = subnet + 1); sets <see cref="PodAddress"/> and
    /// <see cref="PodAddressV6"/>.</summary>
    /// <param name="lease">The node's lease.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>A task.</returns>
    public async Task AddPodBridgeAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using NetlinkClient netlink = _namespace.OpenNetlinkClient();
        Link bridge = await netlink.LinkAddAsync(new BridgeLinkSpec { Name = PodBridgeName }, cancellationToken).ConfigureAwait(false);
        await netlink.LinkSetUpAsync(bridge.Index, cancellationToken).ConfigureAwait(false);
        if (lease.Subnet is { } s4)
        {
            IPAddress address = Offset(s4.BaseAddress, 1);
            await NamespaceLab.AddAddressAsync(netlink, bridge.Index, address, s4.PrefixLength, cancellationToken).ConfigureAwait(false);
            PodAddress = address;
        }

        if (lease.IPv6Subnet is { } s6)
        {
            IPAddress address = Offset(s6.BaseAddress, 1);
            await NamespaceLab.AddAddressAsync(netlink, bridge.Index, address, s6.PrefixLength, cancellationToken).ConfigureAwait(false);
            PodAddressV6 = address;
        }
    }

    /// <summary>
    /// Options for an Overlay.Hosting <see cref="OverlayAgent"/> that runs this node: netlink (and so
    /// interface discovery, the backend, blackhole routes and the health socket) inside the node's
    /// namespace, and the subnet file at <c>STATE/nN/subnet.env</c>. Adjust the rest (health port,
    /// reconcile settings) before starting the agent.
    /// </summary>
    /// <param name="stateDirectory">The directory under which each node gets its own folder.</param>
    /// <returns>New options.</returns>
    public OverlayAgentOptions CreateAgentOptions(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        return new OverlayAgentOptions
        {
            SubnetFilePath = Path.Combine(stateDirectory, Name, "subnet.env"),
            NetworkNamespace = Namespace,
        };
    }

    /// <summary>
    /// Starts an Overlay.Hosting <see cref="OverlayAgent"/> for this node, waits until it is ready
    /// (lease held, subnet.env written, first peer snapshot programmed; at most
    /// <see cref="AgentStartTimeout"/>), and gives the node its pod bridge for the lease
    /// (<see cref="AddPodBridgeAsync"/>). The caller owns the agent and disposes it before the lab.
    /// </summary>
    /// <param name="registry">The subnet registry (one shared by every node of the lab, typically).</param>
    /// <param name="backends">The backends the agent may choose from (by the network config's type).</param>
    /// <param name="options">The agent's options, e.g. from <see cref="CreateAgentOptions"/>; their
    /// <see cref="OverlayAgentOptions.NetworkNamespace"/> must be this node's namespace.</param>
    /// <param name="loggerFactory">Logging for the agent; null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running agent.</returns>
    /// <exception cref="TimeoutException">The agent was not ready within <see cref="AgentStartTimeout"/>
    /// (it is disposed).</exception>
    public async Task<OverlayAgent> StartOverlayAgentAsync(ISubnetRegistry registry, BackendRegistry backends, OverlayAgentOptions options,
        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NetworkNamespace != Namespace)
        {
            // Without this the agent would program the namespace the process runs in (the host's).
            throw new ArgumentException($"The options' NetworkNamespace must be node {Name}'s namespace {Namespace} (see CreateAgentOptions).", nameof(options));
        }

        var agent = new OverlayAgent(registry, backends, options, loggerFactory: loggerFactory);
        try
        {
            await agent.StartAsync(cancellationToken).WaitAsync(AgentStartTimeout, cancellationToken).ConfigureAwait(false);
            await AddPodBridgeAsync(agent.Lease!, cancellationToken).ConfigureAwait(false);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the node's namespace handle (the lab does this when disposed).</summary>
    public void Dispose() => _namespace.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Namespace}, {Underlay})";

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
