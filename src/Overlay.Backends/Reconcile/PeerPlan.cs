using System.Collections.Immutable;
using Overlay.Subnets;

namespace Overlay.Backends.Reconcile;

/// <summary>
/// The desired state of one peer, as a value: the objects to program and how traffic travels.
/// A backend's planner turns a lease into a plan; the reconciler applies the difference from what
/// was last programmed.
/// </summary>
/// <param name="Lease">The peer's lease.</param>
/// <param name="Mode">How traffic to the peer travels.</param>
/// <param name="Reason">Why (for an unreachable peer: why it cannot be reached).</param>
/// <param name="Objects">The objects to program, in installation order (removal runs in reverse).</param>
public sealed record PeerPlan(Lease Lease, PeerMode Mode, string Reason, ImmutableArray<DesiredObject> Objects)
{
    /// <summary>The peer's subnet key.</summary>
    public string Key => Lease.Key;

    /// <summary>A plan with no objects for a peer that cannot be reached.</summary>
    public static PeerPlan Unreachable(Lease lease, string reason) => new(lease, PeerMode.Unreachable, reason, []);
}
