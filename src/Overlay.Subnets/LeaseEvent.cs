namespace Overlay.Subnets;

/// <summary>One change of one lease.</summary>
/// <param name="Kind">Added (or changed) or removed.</param>
/// <param name="Lease">The lease; for <see cref="LeaseEventKind.Removed"/> it may carry only the subnets.</param>
public readonly record struct LeaseEvent(LeaseEventKind Kind, Lease Lease);
