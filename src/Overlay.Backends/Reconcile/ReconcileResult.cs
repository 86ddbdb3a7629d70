namespace Overlay.Backends.Reconcile;

/// <summary>What a full reconcile changed.</summary>
/// <param name="Installed">Objects installed (missing or altered).</param>
/// <param name="Removed">Stale objects removed.</param>
/// <param name="Failed">Objects that could not be installed or removed.</param>
public readonly record struct ReconcileResult(int Installed, int Removed, int Failed);
