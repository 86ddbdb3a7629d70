namespace Overlay.Backends.CloudRoutes;

/// <summary>The state of a cloud route.</summary>
public enum CloudRouteState
{
    /// <summary>The route forwards.</summary>
    Active,

    /// <summary>The target is gone (AWS <c>blackhole</c>: a terminated instance or deleted ENI); traffic is dropped.</summary>
    Blackhole,

    /// <summary>Being created, disabled, or another state the engine does not rely on.</summary>
    Other,
}
