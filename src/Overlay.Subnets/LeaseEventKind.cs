namespace Overlay.Subnets;

/// <summary>What happened to a lease.</summary>
public enum LeaseEventKind
{
    /// <summary>The lease was created or its attributes changed (flannel's <c>EventAdded</c>).</summary>
    Added = 0,

    /// <summary>The lease was deleted or expired (flannel's <c>EventRemoved</c>).</summary>
    Removed = 1,
}
