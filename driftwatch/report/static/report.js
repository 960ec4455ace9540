// Each feature's plot is drawn from its figure's JSON island (the element with the plot's id
// and "-spec") when its section is open: on load for the first sections, on opening for the rest.
function dwPlot(id){
  var el=document.getElementById(id);
  if(!el||el.getAttribute('data-drawn'))return;
  var spec=JSON.parse(document.getElementById(id+'-spec').textContent);
  el.setAttribute('data-drawn','1');
  Plotly.newPlot(el,spec.data,spec.layout,{displaylogo:false,responsive:true});
}
// A link to a feature (#m0-f3) opens its section.
function dwOpen(hash){
  var target=hash&&document.getElementById(hash.slice(1));
  if(!target)return;
  var details=target.querySelector('details');
  if(details&&!details.open){details.open=true;}
}
document.addEventListener('DOMContentLoaded',function(){
  document.querySelectorAll('details[data-plot]').forEach(function(d){
    d.addEventListener('toggle',function(){if(d.open)dwPlot(d.getAttribute('data-plot'));});
    if(d.open)dwPlot(d.getAttribute('data-plot'));
  });
  dwOpen(location.hash);
  window.addEventListener('hashchange',function(){dwOpen(location.hash);});
});
