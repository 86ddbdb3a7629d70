namespace Overlay.Encap.Internal.Interop;

internal static partial class Libc
{
    internal const nuint TUNSETIFF = 0x400454CA;
    internal const nuint TUNSETOFFLOAD = 0x400454D0;
    internal const nuint TUNGETIFF = 0x800454D2;
    internal const nuint TUNSETVNETHDRSZ = 0x400454D8;
    internal const nuint TUNSETQUEUE = 0x400454D9;

    internal const short IFF_TUN = 0x0001;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_VNET_HDR = 0x4000;
    internal const short IFF_MULTI_QUEUE = 0x0100;
    internal const short IFF_ATTACH_QUEUE = 0x0200;

    internal const uint TUN_F_CSUM = 0x01;
    internal const uint TUN_F_TSO4 = 0x02;
    internal const uint TUN_F_TSO6 = 0x04;
    internal const uint TUN_F_TSO_ECN = 0x08;
    internal const uint TUN_F_USO4 = 0x20;
    internal const uint TUN_F_USO6 = 0x40;

    internal const int IfNameSize = 16;
    internal const int IfReqSize = 40;
}
