using System.Net;

namespace Overlay.Netlink;

/// <summary>The key of a state (<c>struct xfrm_usersa_id</c> + source).</summary>
/// <param name="Destination">Outer destination.</param>
/// <param name="Spi">The SPI.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="Source">Outer source (XFRMA_SRCADDR), optional.</param>
/// <param name="Mark">The mark, if any.</param>
public sealed record XfrmStateId(IPAddress Destination, uint Spi, byte Protocol = XfrmProtocol.Esp, IPAddress? Source = null, XfrmMark? Mark = null);
