namespace Overlay.Netlink;

/// <summary>
/// What a link should look like: the common attributes plus, in derived records, the kind-specific
/// ones. Also returned by <see cref="Link.Spec"/> when reading a link back, so an existing device can
/// be compared with the desired one.
/// </summary>
public abstract record LinkSpec
{
    /// <summary>The interface name (IFLA_IFNAME), at most 15 bytes.</summary>
    public required string Name { get; init; }

    /// <summary>The MTU (IFLA_MTU); null leaves the kernel's default.</summary>
    public int? Mtu { get; init; }

    /// <summary>The hardware address (IFLA_ADDRESS); null lets the kernel choose.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>The master device (IFLA_MASTER), e.g. a bridge.</summary>
    public int? MasterIndex { get; init; }

    /// <summary>The transmit queue length (IFLA_TXQLEN).</summary>
    public int? TxQueueLength { get; init; }

    /// <summary>The kind (IFLA_INFO_KIND), e.g. <c>vxlan</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>Writes IFLA_INFO_DATA children; returns false when the kind has none to send.</summary>
    internal virtual bool HasInfoData => false;

    internal virtual void WriteInfoData(ref NetlinkMessageWriter writer)
    {
    }
}
