namespace Overlay.Lab;

/// <summary>What lab <see cref="NamespaceLab.CreateAsync"/> builds.</summary>
public sealed record LabOptions
{
    /// <summary>Nodes on the first L2 segment (198.18.1.0/24).</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Nodes on a second segment (198.18.2.0/24), behind a router namespace (0: no router).</summary>
    public int RoutedNodes { get; init; }

    /// <summary>Give the underlay IPv6 addresses too (2001:db8:18:S::N/64, added with nodad).</summary>
    public bool IPv6 { get; init; } = true;

    /// <summary>Leave the namespaces in place on dispose (for demos and manual poking).</summary>
    public bool Keep { get; init; }
}
