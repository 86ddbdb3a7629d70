namespace Overlay.Backends.Reconcile;

/// <summary>One desired kernel object: its kind and value.</summary>
/// <param name="Kind">The kind adapter.</param>
/// <param name="Item">The object (a value).</param>
public readonly record struct DesiredObject(IKernelObjectKind Kind, object Item);
