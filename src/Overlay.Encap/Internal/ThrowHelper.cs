using System.Diagnostics.CodeAnalysis;

namespace Overlay.Encap;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowTooShort(string paramName, int needed) =>
        throw new ArgumentException($"The buffer must hold at least {needed} bytes.", paramName);

    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);
}
