namespace Overlay.Backends;

/// <summary>How to choose the external interface (flanneld's <c>--iface</c>, <c>--iface-regex</c>,
/// <c>--iface-can-reach</c>, <c>--public-ip</c>, <c>--public-ipv6</c>). Plain text like the flags, so it binds from
/// configuration; the addresses are checked when the interface is discovered (and by the agent's options validation).</summary>
public sealed class ExternalInterfaceOptions
{
    /// <summary>Interface names or local addresses, tried in order.</summary>
    public IList<string> Interfaces { get; } = [];

    /// <summary>Regular expressions over addresses, then names, tried in order after <see cref="Interfaces"/>.</summary>
    public IList<string> InterfaceRegexes { get; } = [];

    /// <summary>Choose the interface the kernel would use to reach this address (IPv4 or IPv6 text).</summary>
    public string? CanReach { get; set; }

    /// <summary>The IPv4 address to advertise instead of the interface's (for NAT), as text.</summary>
    public string? PublicIP { get; set; }

    /// <summary>The IPv6 address to advertise instead of the interface's, as text.</summary>
    public string? PublicIPv6 { get; set; }
}
