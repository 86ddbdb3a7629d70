namespace Overlay.Netlink;

/// <summary>Changes to an existing link, sent in one RTM_NEWLINK; null members are left unchanged.</summary>
public sealed record LinkModification
{
    /// <summary>Set administratively up (true) or down (false).</summary>
    public bool? Up { get; init; }

    /// <summary>New MTU.</summary>
    public int? Mtu { get; init; }

    /// <summary>New hardware address.</summary>
    public MacAddress? MacAddress { get; init; }

    /// <summary>New name.</summary>
    public string? Name { get; init; }

    /// <summary>New master (0 removes it from its master).</summary>
    public int? MasterIndex { get; init; }
}
