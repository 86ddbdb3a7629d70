namespace Overlay.Backends;

/// <summary>Data of a node status change.</summary>
public sealed class NodeStatusChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="previous">The status before.</param>
    /// <param name="current">The status after.</param>
    public NodeStatusChangedEventArgs(NodeStatus previous, NodeStatus current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        Previous = previous;
        Current = current;
    }

    /// <summary>The status before the change.</summary>
    public NodeStatus Previous { get; }

    /// <summary>The status after the change.</summary>
    public NodeStatus Current { get; }
}
