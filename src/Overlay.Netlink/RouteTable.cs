namespace Overlay.Netlink;

/// <summary>Well-known routing tables (<c>RT_TABLE_*</c>).</summary>
public static class RouteTable
{
    /// <summary>RT_TABLE_UNSPEC.</summary>
    public const uint Unspecified = 0;

    /// <summary>RT_TABLE_DEFAULT.</summary>
    public const uint Default = 253;

    /// <summary>RT_TABLE_MAIN.</summary>
    public const uint Main = 254;

    /// <summary>RT_TABLE_LOCAL.</summary>
    public const uint Local = 255;
}
