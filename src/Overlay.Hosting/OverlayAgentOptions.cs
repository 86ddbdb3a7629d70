using System.Net;
using Microsoft.Extensions.Options;
using Overlay.Backends;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Hosting;

/// <summary>
/// Settings of an <see cref="OverlayAgent"/>: flanneld's agent flags as an
/// options class, plus what an embedded agent needs (a network namespace to run the node in,
/// reconcile settings). Plain data: every member can be bound from configuration. Validated when the <see cref="OverlayAgent"/> is created (with a host, also at host start).
/// </summary>
public sealed class OverlayAgentOptions
{
    /// <summary>flanneld's default <c>--subnet-lease-renew-margin</c>: 60 minutes.</summary>
    public static readonly TimeSpan DefaultRenewMargin = TimeSpan.FromMinutes(60);

    /// <summary>The route protocol of the blackhole routes the agent keeps (<c>--ip-blackhole-route</c>):
    /// 112, distinct from the backends' 111 so that no backend adopts or removes them.</summary>
    public const byte DefaultBlackholeRouteProtocol = 112;

    /// <summary>The metric of the blackhole routes: high, so that a bridge's connected route for the
    /// same subnet wins while it exists and the blackhole only catches what nothing else owns.</summary>
    public const uint DefaultBlackholeRouteMetric = 4242;

    /// <summary>How to choose the external interface and the advertised addresses
    /// (<c>--iface</c>, <c>--iface-regex</c>, <c>--iface-can-reach</c>, <c>--public-ip</c>, <c>--public-ipv6</c>).</summary>
    public ExternalInterfaceOptions ExternalInterface { get; } = new();

    /// <summary>The subnet file (<c>--subnet-file</c>), read first for the previous subnets and
    /// written once the lease is held.</summary>
    public string SubnetFilePath { get; set; } = SubnetEnvFile.DefaultPath;

    /// <summary>Renew the lease this long before it expires (<c>--subnet-lease-renew-margin</c>,
    /// 1 to 1439 minutes).</summary>
    public TimeSpan SubnetLeaseRenewMargin { get; set; } = DefaultRenewMargin;

    /// <summary>Masquerade pod traffic leaving the overlay (<c>--ip-masq</c>): flannel's masquerade
    /// rules in the mode the network configuration's <c>EnableNFTables</c> picks (see
    /// <see cref="ITrafficRules"/>), or through a registered <see cref="IMasqueradeHook"/> instead.
    /// <c>FLANNEL_IPMASQ</c> in the subnet file says whether masquerade rules are in place.</summary>
    public bool IPMasq { get; set; }

    /// <summary>Accept forwarded traffic from and to the overlay network (<c>--iptables-forward-rules</c>;
    /// in nftables mode a separate base chain). flanneld turns it on by default; this library leaves
    /// it off unless asked (the sample agent's <c>run</c> follows flanneld).</summary>
    public bool IPTablesForwardRules { get; set; }

    /// <summary>Settings of the masquerade and forward rules (rule set, fully-random, removal at shutdown, iptables resync).
    /// Their <see cref="TrafficRulesOptions.NetlinkOptions"/> are replaced by the agent's.</summary>
    public TrafficRulesOptions TrafficRules { get; } = new();

    /// <summary>The health server's address (<c>--healthz-ip</c>). Default 127.0.0.1, not flanneld's 0.0.0.0.</summary>
    public string HealthzIP { get; set; } = "127.0.0.1";

    /// <summary>The health server's port (<c>--healthz-port</c>); 0 turns it off (flanneld's default).</summary>
    public int HealthzPort { get; set; }

    /// <summary>Keep a blackhole route for the node's subnet(s) (<c>--ip-blackhole-route</c>).</summary>
    public bool IPBlackholeRoute { get; set; }

    /// <summary>How often the blackhole routes are checked (flanneld's <c>--iptables-resync</c>, 5 s).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The route protocol that marks the agent's blackhole routes.</summary>
    public byte BlackholeRouteProtocol { get; set; } = DefaultBlackholeRouteProtocol;

    /// <summary>The metric of the agent's blackhole routes.</summary>
    public uint BlackholeRouteMetric { get; set; } = DefaultBlackholeRouteMetric;

    /// <summary>
    /// The network namespace the node runs in: the name of a named namespace (<c>/run/netns/NAME</c>,
    /// as <c>ip netns add</c> makes it) or an absolute path to a namespace file (<c>/proc/PID/ns/net</c>);
    /// <see langword="null"/> (the default) is the network of the process. Interface discovery, the
    /// backend, blackhole routes and the health server's socket then all live there, so one process can
    /// run several nodes (the lab and the demo do). The agent opens the namespace when it starts and
    /// closes it when it stops; a namespace that cannot be opened fails the start, naming this option.
    /// </summary>
    public string? NetworkNamespace { get; set; }

    /// <summary>Settings of the agent's netlink sockets (buffer sizes, dump retries, acknowledgements).
    /// Its <see cref="NetlinkClientOptions.NetworkNamespace"/> must stay <see langword="null"/>: options
    /// carry no handles; the namespace is <see cref="NetworkNamespace"/>, by name or path.</summary>
    public NetlinkClientOptions NetlinkOptions { get; set; } = new();

    /// <summary>Reconcile settings handed to the backend (route protocol, repair, retries).</summary>
    public ReconcileOptions Reconcile { get; set; } = new();

    /// <summary>Interval between attempts to read the network configuration (flanneld: 1 s, forever).</summary>
    public TimeSpan ConfigRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay before retrying a failed renewal, re-acquisition or re-registration; doubles each time.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between those retries.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    internal IPAddress ParsedHealthzIP => IPAddress.Parse(HealthzIP);
}

internal static class OverlayAgentOptionsExtensions
{
    public static string? PublicIPProblem(this OverlayAgentOptions options) =>
        AddressProblem(options.ExternalInterface.PublicIP, "PublicIP", System.Net.Sockets.AddressFamily.InterNetwork)
        ?? AddressProblem(options.ExternalInterface.PublicIPv6, "PublicIPv6", System.Net.Sockets.AddressFamily.InterNetworkV6)
        ?? AddressProblem(options.ExternalInterface.CanReach, "CanReach", null);

    private static string? AddressProblem(string? value, string member, System.Net.Sockets.AddressFamily? family) =>
        string.IsNullOrWhiteSpace(value) ? null
        : !IPAddress.TryParse(value.Trim(), out IPAddress? address) ? $"{member} '{value}' is not an IP address."
        : family is { } f && address.AddressFamily != f ? $"{member} '{value}' is not an {(f == System.Net.Sockets.AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address."
        : null;

    public static void ThrowIfInvalid(this OverlayAgentOptions options)
    {
        ValidateOptionsResult result = new OverlayAgentOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(OverlayAgentOptions), result.Failures);
        }
    }
}
