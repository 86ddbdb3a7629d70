namespace Overlay.Netlink;

/// <summary>A link as the kernel reports it.</summary>
public sealed record Link
{
    /// <summary>The interface index.</summary>
    public required int Index { get; init; }

    /// <summary>The interface name.</summary>
    public required string Name { get; init; }

    /// <summary>IFLA_INFO_KIND, or null for devices without one (e.g. lo, physical NICs).</summary>
    public string? Kind { get; init; }

    /// <summary>The interface flags.</summary>
    public InterfaceFlags Flags { get; init; }

    /// <summary>True when administratively up (IFF_UP).</summary>
    public bool IsUp => (Flags & InterfaceFlags.Up) != 0;

    /// <summary>The MTU.</summary>
    public int Mtu { get; init; }

    /// <summary>The hardware address if it is a 6-byte MAC.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>IFLA_LINK: parent device (for veth, the peer's index).</summary>
    public int? ParentIndex { get; init; }

    /// <summary>IFLA_MASTER.</summary>
    public int? MasterIndex { get; init; }

    /// <summary>IFLA_OPERSTATE (RFC 2863: 2 down, 6 up, 0 unknown…).</summary>
    public byte OperState { get; init; }

    /// <summary>IFLA_TXQLEN.</summary>
    public int TxQueueLength { get; init; }

    /// <summary>ARPHRD_* device type.</summary>
    public ushort DeviceType { get; init; }

    /// <summary>The link read back as a spec of its kind (e.g. <see cref="VxlanLinkSpec"/>), or null without a kind.</summary>
    public LinkSpec? Spec { get; init; }
}
