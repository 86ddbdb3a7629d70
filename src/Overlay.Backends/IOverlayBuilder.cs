namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures Overlay in a service collection; backend packages extend it
/// (<c>builder.AddHostGwBackend()</c>).</summary>
public interface IOverlayBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}
