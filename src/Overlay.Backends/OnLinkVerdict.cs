namespace Overlay.Backends;

/// <summary>What the kernel's route lookup says about reaching a peer's underlay address.</summary>
public enum OnLinkVerdict
{
    /// <summary>On-link: one route without a gateway, through the expected interface (if one was required).</summary>
    OnLink,

    /// <summary>The kernel has no route to the address (or the lookup failed).</summary>
    NoRoute,

    /// <summary>The address is reached through a router.</summary>
    ViaRouter,

    /// <summary>The address is on-link, but through another interface than the required one.</summary>
    OtherInterface,

    /// <summary>Several routes (multipath): not one on-link route.</summary>
    Multipath,
}
