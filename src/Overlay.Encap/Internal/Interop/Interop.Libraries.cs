namespace Overlay.Encap.Internal.Interop;

internal static class Libraries
{
    internal const string Libc = "libc";
}
