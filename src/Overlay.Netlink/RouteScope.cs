namespace Overlay.Netlink;

/// <summary>Route and address scopes (<c>RT_SCOPE_*</c>).</summary>
public enum RouteScope : byte
{
    /// <summary>RT_SCOPE_UNIVERSE.</summary>
    Universe = 0,

    /// <summary>RT_SCOPE_SITE.</summary>
    Site = 200,

    /// <summary>RT_SCOPE_LINK.</summary>
    Link = 253,

    /// <summary>RT_SCOPE_HOST.</summary>
    Host = 254,

    /// <summary>RT_SCOPE_NOWHERE.</summary>
    Nowhere = 255,
}
