namespace Overlay.Backends.Reconcile;

/// <summary>Why one object of a batch could not be installed or removed.</summary>
/// <param name="Index">The object's position in the batch.</param>
/// <param name="Message">What went wrong (errno name and the kernel's extended-ack text).</param>
/// <param name="Errno">The errno, when the kernel gave one.</param>
public sealed record KernelObjectFailure(int Index, string Message, int? Errno = null);
